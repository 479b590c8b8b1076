# frozen_string_literal: true

# Runs the controller and service of this example without Rails: a stand-in
# ApplicationController records what each action renders, and eight threads
# post at once, as Puma's would. Then the read side: the projection's table
# read with SQL from the store file, and a subscription. See README.md.
#
#   EVENTFOLD_LIB=target/debug/libeventfold.so ruby examples/ruby/todos_demo.rb "$(mktemp -d)/todos.db"
$LOAD_PATH.unshift File.expand_path("../../bindings/ruby/lib", __dir__)
require "securerandom"
require_relative "config/initializers/eventfold"
require_relative "app/services/todo_list"
require_relative "app/queries/board_query"

# Just enough of ActionController for the example to run.
class ApplicationController
  Request = Struct.new(:request_id)
  User = Struct.new(:id)

  def self.rescue_from(klass, &handler) = (@handlers ||= {})[klass] = handler
  def self.handlers = @handlers || {}

  attr_reader :params, :request, :rendered

  def initialize(params) = (@params, @request = params, Request.new(SecureRandom.uuid))
  def current_user = User.new("ann")
  def render(json:, status: :ok) = @rendered = [status, json]

  def dispatch(action)
    public_send(action)
    rendered
  rescue Eventfold::Error => e
    handler = self.class.handlers.find { |klass, _| e.is_a?(klass) }&.last or raise
    instance_exec(e, &handler)
    rendered
  end
end
require_relative "app/controllers/todos_controller"

path = ARGV[0] || "todos.db"
Todos.boot("sqlite:#{path}")
call = ->(action, **params) { TodosController.new(params).dispatch(action) }

p call.(:create, list_id: "home", id: "t1", text: "Buy milk")
p call.(:create, list_id: "home", id: "t1", text: "Again")           # 422: duplicate
p call.(:create, list_id: "home", id: "t2", text: nil)               # 400: data.text
p call.(:update, list_id: "home", id: "t1", completed: true, version: 0) # 409
p call.(:update, list_id: "home", id: "t1", completed: true, version: 1)

threads = Array.new(8) do |t|
  Thread.new { 10.times { |i| call.(:create, list_id: "office", id: "t#{t}-#{i}", text: "task #{i}") } }
end
threads.each(&:join)
status, body = call.(:index, list_id: "office")
puts "#{status}: #{body[:todos].size} todos, version #{body[:version]}, #{body[:remaining]} remaining"

# The read side: the rows the inline projection wrote, read with SQL.
board = BoardQuery.new(path)
board.list("home").each { |t| puts "home: [#{t['completed'] ? 'x' : ' '}] #{t['text']}" }
board.stats.each { |s| puts "#{s['list_id']}: #{s['open']} open, #{s['done']} done" }
board.close
# The same table through the engine, in key order.
puts "#{Todos.engine.rows('todo_rows', key: ['office']).size} rows of office through the engine"

# A subscription: every event, at least once, from a durable checkpoint;
# each is acked when the block returns. close ends the loop.
head = Todos.engine.read_all.last["position"]
counts = Hash.new(0)
Todos.engine.subscribe("activity") do |subscription|
  subscription.each do |event|
    counts[event["type"]] += 1
    subscription.close if event["position"] == head
  end
end
puts "activity: #{counts.sort.map { |type, n| "#{n} #{type}" }.join(', ')}"
Todos.engine.close
