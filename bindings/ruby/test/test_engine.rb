# frozen_string_literal: true

require_relative "test_helper"

class TestEngine < Minitest::Test
  include Helpers

  def setup
    @dir = Dir.mktmpdir("eventfold-ruby")
  end

  def teardown
    FileUtils.remove_entry(@dir) if @dir
  end

  def open(**options) = Eventfold::Engine.open("sqlite:#{@dir}/events.db", todos, **options)

  def create(id, text) = { type: "create-new", data: { id: id, text: text } }

  def test_execute_load_query_read
    engine = open(snapshot_every: 2)
    r = engine.execute("Todos", "home", create("t1", "Buy milk"))
    assert_equal ["Todos-home", 1], [r["stream"], r["version"]]
    assert_equal "created", r["events"][0]["type"]
    r = engine.execute("Todos", "home", create("t2", "Walk"), expected_version: 1, command_id: "c-2",
                                                              metadata: { user: "ann" }, correlation_id: "corr")
    assert_equal 2, r["version"]
    assert_equal "ann", r["events"][0]["metadata"]["user"]
    assert_equal 2, engine.execute("Todos", "home", create("t2", "Walk"), command_id: "c-2")["version"]

    loaded = engine.load("Todos", "home")
    assert_equal 2, loaded["version"]
    assert_equal %w[t1 t2], loaded["state"]["todos"].keys
    assert_equal 2, engine.query("Todos", "home", "remaining")
    assert engine.query("Todos", "home", "has-todo", { id: "t1" })
    assert_equal 2, engine.read_stream("Todos-home").size
    assert_equal 2, engine.read_stream("Todos-home", from_version: 2)[0]["version"]
    assert_equal 1, engine.read_all(limit: 1).size
    assert_equal [{ "stream" => "Todos-home", "version" => 2 }], engine.streams
    assert_equal [{ "stream" => "Todos-home", "version" => 2 }], engine.streams(model: "Todos")
    assert_equal loaded["state"], engine.domain.replay("Todos", engine.read_stream("Todos-home"))
    engine.close

    open { |e| assert_equal 2, e.load("Todos", "home")["version"] }
  end

  def test_execute_many_is_all_or_none
    engine = open
    results = engine.execute_many([{ model: "Todos", id: "a", command: create("1", "x") },
                                   { model: "Todos", id: "b", command: { type: "clear-done" },
                                     options: { metadata: {}, now: Time.utc(2026, 1, 1) } }])
    assert_equal "Todos-a", results[0]["stream"]
    error = assert_raises(Eventfold::RejectedError) do
      engine.execute_many([{ model: "Todos", id: "c", command: create("1", "x") },
                           { model: "Todos", id: "a", command: create("1", "x") }])
    end
    assert_equal "duplicate", error.reason
    assert_equal 0, engine.load("Todos", "c")["version"]
  end

  def test_version_conflict
    engine = open
    engine.execute("Todos", "x", create("1", "x"))
    error = assert_raises(Eventfold::VersionConflictError) do
      engine.execute("Todos", "x", { type: "delete", data: { id: "1" } }, expected_version: 0)
    end
    assert_equal [0, 1], [error.expected, error.actual]
  end

  def test_every_call_after_close_raises
    engine = open
    engine.close
    engine.close
    [
      -> { engine.execute("Todos", "a", { type: "clear-done" }) },
      -> { engine.execute_many([]) },
      -> { engine.load("Todos", "a") },
      -> { engine.query("Todos", "a", "remaining") },
      -> { engine.read_stream("Todos-a") },
      -> { engine.read_all },
      -> { engine.streams }
    ].each do |call|
      error = assert_raises(Eventfold::StoreError) { call.call }
      assert_includes error.message, "closed"
    end
  end

  def test_unopenable_store
    assert_raises(Eventfold::StoreError) { Eventfold::Engine.open("sqlite:/nonexistent/dir/x.db", todos) }
  end
end
