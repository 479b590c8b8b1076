# frozen_string_literal: true

# Serves the Rails app with WEBrick (Debian's ruby-rails and ruby-webrick)
# on 127.0.0.1 and the port given (0: a free one), and prints
# "listening on PORT" once it accepts connections: test.sh waits for that
# line. `rails server` would do the same with more to set up (bin/rails,
# tmp/pids); this is the Rack handler it uses underneath.
#
#   EVENTFOLD_STORE=sqlite:/tmp/todos.db ruby examples/ruby-rails/server.rb 8080
require "rack"
require "rack/handler/webrick"
require "webrick"
require_relative "config/environment"

server = nil
Rack::Handler::WEBrick.run(
  Rails.application,
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
