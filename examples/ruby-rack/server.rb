# frozen_string_literal: true

# Serves the Rack app with WEBrick (Debian's ruby-rack and ruby-webrick) on
# 127.0.0.1 and the port given (0: a free one), and prints
# "listening on PORT" once it accepts connections: test.sh waits for that line.
#
#   EVENTFOLD_STORE=sqlite:/tmp/todos.db ruby examples/ruby-rack/server.rb 8080
require "rack"
require "rack/handler/webrick"
require "webrick"
require_relative "app"

app = TodoApp.new(ENV.fetch("EVENTFOLD_STORE", "sqlite:todos.db"))
server = nil
Rack::Handler::WEBrick.run(
  app,
  Host: "127.0.0.1",
  Port: Integer(ARGV.fetch(0, "0")),
  AccessLog: [],
  Logger: WEBrick::Log.new($stderr, WEBrick::Log::WARN),
  StartCallback: lambda {
    puts "listening on #{server.listeners.first.addr[1]}"
    $stdout.flush
  }
) do |s|
  server = s
  %w[INT TERM].each { |sig| trap(sig) { s.shutdown } }
end
