# frozen_string_literal: true

require_relative "test_helper"

# The read side through Ruby: tables (inline and async) against the pure
# `project` over the stored events, rows' options, wait_for, rebuild, and
# subscriptions iterated with #each. Nothing waits on the clock: wait_for
# and poll timeouts are only upper bounds.
class TestReadSide < Minitest::Test
  include Helpers

  def setup
    @dir = Dir.mktmpdir("eventfold-ruby-read")
  end

  def teardown
    FileUtils.remove_entry(@dir) if @dir
  end

  # The todo model, its board projection inline (as written) or async (a copy made here).
  def board(async: false)
    text = File.read(File.join(ROOT, "examples/todos/todos.model"), encoding: "UTF-8")
    if async
      assert_includes text, "projection todo-board inline"
      text = text.sub("projection todo-board inline", "projection todo-board async")
    end
    Eventfold::Domain.compile("todos.model" => text)
  end

  def open(domain, **options) = Eventfold::Engine.open("sqlite:#{@dir}/events.db", domain, **options)

  def create(id, text) = { type: "create-new", data: { id: id, text: text } }

  # Commands over two lists; the result of the last one.
  def work(engine)
    engine.execute("Todos", "home", create("t1", "Buy milk"))
    engine.execute("Todos", "home", create("t2", "Walk the dog"))
    engine.execute("Todos", "work", create("w1", "Send the report"))
    engine.execute("Todos", "home", { type: "change-completed", data: { id: "t1", completed: true } })
    engine.execute("Todos", "work", { type: "change-text", data: { id: "w1", new_text: "Send it" } })
    engine.execute("Todos", "home", { type: "create-complete", data: { id: "t3", text: "Done before" } })
    engine.execute("Todos", "home", { type: "delete", data: { id: "t2" } })
    engine.execute("Todos", "work", create("w2", "Plan"))
  end

  # Stored events (read_all) as `project` takes them (MODEL-LANGUAGE.md §13).
  def project_input(stored)
    stored.map do |e|
      model, id = e["stream"].split("-", 2)
      metadata = e["metadata"].dup
      recorded_at = metadata.delete("recorded_at")
      { "model" => model, "id" => id, "type" => e["type"], "schema" => e["schema"], "data" => e["data"],
        "version" => e["version"], "position" => e["position"], "recorded_at" => recorded_at,
        "metadata" => metadata, "event_id" => e["id"] }
    end
  end

  def projected(engine) = engine.domain.project("todo-board", project_input(engine.read_all))["todo_rows"]

  def subscription(engine, name) = engine.subscriptions.find { |s| s["name"] == name } || flunk("no subscription #{name}")

  def test_inline_rows_equal_project
    engine = open(board)
    last = work(engine)
    assert_equal 8, last["position"]
    rows = engine.rows("todo_rows")
    assert_equal 4, rows.size
    assert_equal %w[list_id id text completed done_at], rows[0].keys
    assert_equal projected(engine), rows
    assert engine.wait_for(last["position"], projection: "todo-board")
    engine.close
    open(board) { |e| assert_equal rows, e.rows("todo_rows") }
  end

  def test_async_rows_equal_project_after_wait_for
    engine = open(board(async: true))
    last = work(engine)
    assert_equal true, engine.wait_for(last["position"])
    assert_equal projected(engine), engine.rows("todo_rows")
    assert engine.wait_for(last["position"], projection: "todo-board", timeout: 60)

    projection = engine.projections.first
    assert_equal %w[todo-board async live], projection.values_at("name", "mode", "status")
    assert_equal [last["position"], 0, nil], projection.values_at("position", "lag", "error")

    assert_equal "todo-board", engine.rebuild("todo-board")["projection"]
    assert_equal projected(engine), engine.rows("todo_rows")
  ensure
    engine&.close
  end

  def test_wait_for_past_the_head_is_false
    open(board(async: true)) do |engine|
      last = engine.execute("Todos", "home", create("t1", "x"))
      # No event has that position: false, however fast the machine.
      assert_equal false, engine.wait_for(last["position"] + 100, timeout: 0.01)
      assert_raises(Eventfold::UnknownProjectionError) { engine.wait_for(1, projection: "nope") }
      assert_raises(Eventfold::InvalidCommandError) { engine.wait_for(-1) }
      assert_raises(Eventfold::InvalidCommandError) { engine.wait_for(1, timeout: -1) }
    end
  end

  def test_an_engine_that_runs_no_projections
    domain = board(async: true)
    last = open(domain, run_projections: false, on_projection_error: "park") do |writer|
      result = writer.execute("Todos", "home", create("t1", "x"))
      assert_equal [], writer.rows("todo_rows")
      result
    end
    open(domain, run_projections: true) do |runner|
      assert runner.wait_for(last["position"])
      assert_equal projected(runner), runner.rows("todo_rows")
    end
    assert_raises(Eventfold::InvalidCommandError) { open(domain, on_projection_error: "ignore") }
  end

  def test_rows_options
    open(board) do |engine|
      work(engine)
      all = engine.rows("todo_rows")
      assert_equal [%w[home t1], %w[home t3], %w[work w1], %w[work w2]], all.map { |r| r.values_at("list_id", "id") }
      assert_equal all[0, 2], engine.rows("todo_rows", key: ["home"])
      assert_equal all[0, 2], engine.rows("todo_rows", key: "home")
      assert_equal [all[2]], engine.rows("todo_rows", key: %w[work w1])
      assert_equal all[2..], engine.rows("todo_rows", after: %w[home t3])
      assert_equal [all[0]], engine.rows("todo_rows", limit: 1)
      assert_equal [all[1]], engine.rows("todo_rows", key: "home", after: %w[home t1], limit: 5)
      assert_equal [], engine.rows("todo_rows", key: "nowhere")
      assert_equal [true, nil], [all[0]["completed"], all[3]["done_at"]]
      assert_kind_of String, all[0]["done_at"]

      error = assert_raises(Eventfold::InvalidCommandError) { engine.rows("todo_rows", key: ["home", 7]) }
      assert_equal "options.key[1]", error.path
      error = assert_raises(Eventfold::UnknownTableError) { engine.rows("nope") }
      assert_equal "unknown_table", error.code
    end
  end

  def test_each_acks_resumes_and_never_skips
    engine = open(board)
    last = work(engine) # positions 1..8

    sub = engine.subscribe("mailer")
    assert_equal "mailer", sub.name
    first = []
    sub.each do |event|
      first << event["position"]
      break if event["position"] == 3 # 1 and 2 are acked, 3 is not
    end
    assert_equal [1, 2, 3], first
    assert_equal 2, subscription(engine, "mailer")["checkpoint"]
    # The same object again: 3 first, since its loop broke off; Enumerable on top.
    assert_equal [3, 4], sub.first(2).map { |e| e["position"] }
    sub.close
    sub.close # twice is fine

    # A new subscriber of the name resumes after the checkpoint (3: first(2) acked only 3).
    again = engine.subscribe("mailer")
    second = []
    again.each do |event|
      second << event["position"]
      again.close if event["position"] == last["position"] # ends the loop cleanly, unacked
    end
    assert_equal [4, 5, 6, 7, 8], second
    assert_equal 7, subscription(engine, "mailer")["checkpoint"]
    # At least once, in order, nothing skipped.
    assert_equal (1..8).to_a, (first + [3, 4] + second).uniq
    assert_raises(Eventfold::StoreError) { again.poll }
  ensure
    engine&.close
  end

  def test_close_from_another_thread_ends_each
    open(board) do |engine|
      last = work(engine)
      seen = Queue.new
      sub = engine.subscribe("worker")
      consumer = Thread.new do
        sub.each { |event| seen << event["position"] }
        :ended
      end
      positions = Array.new(last["position"]) { seen.pop }
      assert_equal (1..8).to_a, positions
      sub.close # wakes the poll the consumer is blocked in
      assert_equal :ended, consumer.value
      # 1..7 are acked; 8 was done too, unless close came before the ack.
      assert_includes [7, 8], subscription(engine, "worker")["checkpoint"]
    end
  end

  def test_poll_ack_park_and_filters
    open(board) do |engine|
      engine.execute("Todos", "home", create("t1", "x"))
      engine.execute("Todos", "home", { type: "delete", data: { id: "t1" } })

      sub = engine.subscribe("audit", types: ["deleted"])
      events = sub.poll(10, 30)
      assert_equal ["deleted"], events.map { |e| e["type"] }
      assert_equal %w[id stream version position type schema data metadata], events[0].keys
      sub.park(events[0]["position"], "no mailbox")
      parked = engine.parked("audit")
      assert_equal [[2, "no mailbox", "audit"]], parked.map { |p| p.values_at("position", "reason", "name") }
      assert_equal "deleted", parked[0]["event"]["type"]
      assert_equal [], engine.parked("nobody")
      assert_equal 2, subscription(engine, "audit")["checkpoint"]

      # A second consumer of the name waits while the first holds it.
      rival = engine.subscribe("audit")
      engine.execute("Todos", "home", create("t2", "y"))
      engine.execute("Todos", "home", { type: "delete", data: { id: "t2" } })
      assert_equal [], rival.poll(10, 0)
      rival.close
      sub.close

      # From the end: only what comes after.
      engine.subscribe("tail", from: "end") do |tail|
        assert_equal [], tail.poll(10, 0)
        r = engine.execute("Todos", "home", create("t3", "z"))
        assert_equal [r["position"]], tail.poll(10, 30).map { |e| e["position"] }
        tail.ack(r["position"])
        assert_equal r["position"], subscription(engine, "tail")["checkpoint"]
      end
      # From a position, that one included.
      engine.subscribe("from-two", from: 2) { |s| assert_equal 2, s.poll(1, 30)[0]["position"] }

      assert_raises(Eventfold::InvalidCommandError) { engine.subscribe("bad", from: "middle") }
      engine.subscribe("args") do |s|
        assert_raises(Eventfold::InvalidCommandError) { s.poll(-1) }
        assert_raises(Eventfold::InvalidCommandError) { s.poll(1, -0.5) }
        assert_raises(Eventfold::InvalidCommandError) { s.ack("3") }
      end
    end
  end

  def test_every_read_call_after_close_raises
    engine = open(board)
    sub = engine.subscribe("s")
    engine.close
    [
      -> { engine.rows("todo_rows") },
      -> { engine.projections },
      -> { engine.wait_for(1) },
      -> { engine.rebuild("todo-board") },
      -> { engine.subscribe("t") },
      -> { engine.subscriptions },
      -> { engine.parked("s") },
      -> { sub.poll(1, 0) },
      -> { sub.ack(1) }
    ].each do |call|
      error = assert_raises(Eventfold::StoreError) { call.call }
      assert_equal "store_error", error.code
    end
    # Iterating a subscription of a closed engine ends at once.
    assert_equal [], sub.to_a
  end
end
