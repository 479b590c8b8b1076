# frozen_string_literal: true

require_relative "test_helper"

# Issue 14: event versions read through upcasts, raw reads, migrate plan and
# apply, and what an older engine does once the store runs a newer model.
# Each test on a SQLite file of its own; nothing waits on time.
class TestModelChange < Minitest::Test
  # The first version: a todo is an id and a text.
  V1 = <<~MODEL
    model Todos {
      record Todo { id: string; text: string }
      state { todos: map<string, Todo> }
      command add(id: string, text: string) {
        reject duplicate "todo ${id} already exists" if id in todos
        emit created(id, text)
      }
      event created(id: string, text: string) {
        set todos[id] = Todo{id, text}
      }
    }
  MODEL

  # The second: a todo has a priority; `created` as stored by V1 reads as
  # `created@2` with the priority normal. `add` keeps V1's shape (a new
  # todo is high), so an engine still holding V1 can send it.
  V2 = <<~MODEL
    model Todos {
      enum Priority { low, normal, high }
      record Todo { id: string; text: string; priority: Priority }
      state { todos: map<string, Todo> }
      command add(id: string, text: string, priority: Priority = Priority.high) {
        reject duplicate "todo ${id} already exists" if id in todos
        emit created(id, text, priority)
      }
      event created@2(id: string, text: string, priority: Priority) {
        set todos[id] = Todo{id, text, priority}
      }
      upcast created@1(id: string, text: string) {
        emit created@2(id, text, priority: Priority.normal)
      }
    }
  MODEL

  # V2 without its upcast: a stored `created@1` is unreadable.
  V3 = V2.sub(/  upcast created@1.*?\n  }\n/m, "")

  def setup
    @dir = Dir.mktmpdir("eventfold-ruby")
    @store = "sqlite:#{@dir}/events.db"
  end

  def teardown
    FileUtils.remove_entry(@dir) if @dir
  end

  def v1 = Eventfold::Domain.compile("todos.model" => V1)
  def v2 = Eventfold::Domain.compile("todos.model" => V2)
  def v3 = Eventfold::Domain.compile("todos.model" => V3)

  def add(id, text) = { type: "add", data: { id: id, text: text } }

  # Two lists written with V1: Todos-home (two todos), Todos-work (one).
  def write_v1
    Eventfold::Engine.open(@store, v1) do |engine|
      engine.execute("Todos", "home", add("a", "Buy milk"))
      engine.execute("Todos", "home", add("b", "Walk"))
      engine.execute("Todos", "work", add("c", "Mail"))
    end
  end

  def active(engine)
    engine.model_versions.select { |v| v["model"] == "Todos" && v["active"] }
  end

  # The version of `created` in the domain `engine` runs now.
  def created_version(engine)
    todos = engine.domain.describe["models"].find { |m| m["name"] == "Todos" }
    todos["events"].find { |e| e["name"] == "created" }["version"]
  end

  def test_v3_really_drops_the_upcast
    refute_includes V3, "upcast"
    assert_includes V3, "event created@2"
  end

  def test_v1_events_read_through_v2_upcasts
    write_v1
    Eventfold::Engine.open(@store, v2) do |engine|
      state = engine.load("Todos", "home")
      assert_equal 2, state["version"]
      assert_equal({ "id" => "a", "text" => "Buy milk", "priority" => "normal" }, state["state"]["todos"]["a"])

      events = engine.read_stream("Todos-home")
      assert_equal [["created", 2], ["created", 2]], events.map { |e| [e["type"], e["schema"]] }
      assert_equal({ "id" => "a", "text" => "Buy milk", "priority" => "normal" }, events[0]["data"])

      raw = engine.read_stream("Todos-home", raw: true)
      assert_equal [1, 1], raw.map { |e| e["schema"] }
      assert_equal({ "id" => "a", "text" => "Buy milk" }, raw[0]["data"])
      assert_equal [1, 1, 1], engine.read_all(raw: true).map { |e| e["schema"] }

      written = engine.execute("Todos", "home", { type: "add", data: { id: "d", text: "Cook", priority: "low" } })
      assert_equal 2, written["events"][0]["schema"]
      last = engine.read_stream("Todos-home", from_version: 3, raw: true)
      assert_equal [[2, { "id" => "d", "text" => "Cook", "priority" => "low" }]], last.map { |e| [e["schema"], e["data"]] }
      assert_equal "low", engine.load("Todos", "home")["state"]["todos"]["d"]["priority"]
    end
  end

  def test_plan_of_a_readable_and_of_a_blocking_model
    write_v1
    running = v1
    Eventfold::Engine.open(@store, running) do |engine|
      plan = engine.migrate_plan(v2)
      assert_equal true, plan["ok"], plan.inspect
      assert_equal ["Todos"], plan["models"].map { |m| m["model"] }
      assert_equal [], plan["blocking"]
      assert_equal 2, plan["replay"]["streams"]
      assert_equal 3, plan["replay"]["events"]
      assert_equal [], plan["replay"]["failed"]
      assert(plan["language"].any? { |c| c["model"] == "Todos" && c["kind"] == "event" && c["name"] == "created@2" },
             plan["language"].inspect)
      # Every replayed stream gains a priority: both differ, one shown.
      assert_equal 2, plan["replay"]["different"]
      assert_equal 1, engine.migrate_plan(v2, differences: 1)["replay"]["differences"].size
      assert_raises(Eventfold::InvalidCommandError) { engine.migrate_plan(v2, differences: "all") }

      blocked = engine.migrate_plan(v3)
      assert_equal false, blocked["ok"]
      item = blocked["blocking"].find { |b| b["type"] == "created" }
      refute_nil item, blocked["blocking"].inspect
      assert_equal ["Todos", 1, 3, "unknown_event"], item.values_at("model", "schema", "events", "code")

      before = engine.model_versions
      error = assert_raises(Eventfold::UnknownEventError) { engine.migrate_apply(v3) }
      assert_match(/\Amigrate apply refused:/, error.message)
      assert_includes error.message, "migrate plan"
      assert_equal before, engine.model_versions
      assert_equal 1, active(engine).size
      # Nothing switched: this engine still runs V1, and so does the store.
      assert_equal 1, created_version(engine)
      assert_equal running.describe, engine.domain.describe
      engine.execute("Todos", "home", add("e", "Still v1"))
      assert_equal 1, engine.read_stream("Todos-home", from_version: 3, raw: true)[0]["schema"]
    end
    Eventfold::Engine.open("memory:", v1) do |engine|
      assert_raises(Eventfold::InvalidJsonError) { engine.migrate_plan(V2) }
      assert_raises(Eventfold::InvalidJsonError) { engine.migrate_apply(nil) }
    end
  end

  def test_apply_and_the_engines_still_on_the_old_model
    write_v1
    runner = Eventfold::Engine.open(@store, v1)
    failing = Eventfold::Engine.open(@store, v1, on_model_change: "fail")
    following = Eventfold::Engine.open(@store, v1, on_model_change: "follow")
    # Each has read the stream with V1 (its cache holds V1's state).
    [runner, failing, following].each { |e| assert_equal 2, e.load("Todos", "home")["version"] }
    v1_revision = active(runner).first["revision"]

    next_domain = v2
    applied = runner.migrate_apply(next_domain)
    assert_equal ["Todos"], applied["models"].map { |m| m["model"] }
    assert_equal v1_revision, applied["models"][0]["from"]
    refute_equal v1_revision, applied["models"][0]["to"]
    assert_kind_of Numeric, applied["pause_millis"]
    assert_equal 3, applied["position"]
    assert_equal next_domain.describe, runner.domain.describe
    refute_same runner.domain, runner.domain, "a new Domain each call"
    assert_equal 2, created_version(runner)
    # The others run V1 until their next command.
    assert_equal 1, created_version(failing)
    assert_equal 1, created_version(following)

    versions = runner.model_versions.select { |v| v["model"] == "Todos" }
    assert_equal 2, versions.size
    assert_equal({ v1_revision => false, applied["models"][0]["to"] => true },
                 versions.to_h { |v| [v["revision"], v["active"]] })
    refute_nil versions.find { |v| v["active"] }["activated_at"]

    # The runner itself now runs V2.
    assert_equal "normal", runner.load("Todos", "home")["state"]["todos"]["a"]["priority"]

    error = assert_raises(Eventfold::ModelChangedError) { failing.execute("Todos", "home", add("x", "Lost")) }
    assert_equal "Todos", error.model
    assert_equal "model_changed", error.code
    assert_equal 3, runner.read_all(raw: true).size, "nothing written"

    written = following.execute("Todos", "home", add("y", "Followed"))
    assert_equal 3, written["version"]
    stored = runner.read_stream("Todos-home", from_version: 3, raw: true)
    assert_equal [[2, { "id" => "y", "text" => "Followed", "priority" => "high" }]],
                 stored.map { |e| [e["schema"], e["data"]] }
    assert_equal "high", following.load("Todos", "home")["state"]["todos"]["y"]["priority"]
    # The follower now runs V2; the one that failed still runs V1.
    assert_equal 2, created_version(following)
    assert_equal 1, created_version(failing)

    # A store at V2 does not go back to V1 when an engine opens with it again.
    Eventfold::Engine.open(@store, v1) { |e| assert_equal applied["models"][0]["to"], active(e).first["revision"] }
  ensure
    [runner, failing, following].each { |e| e&.close }
  end

  # A deploy without migrate_apply: an engine opened with files the store
  # has never seen makes them active, and the older engines learn it at
  # their next append.
  def test_opening_new_files_makes_them_active
    write_v1
    failing = Eventfold::Engine.open(@store, v1)
    following = Eventfold::Engine.open(@store, v1, on_model_change: "follow")
    [failing, following].each { |e| assert_equal 2, e.load("Todos", "home")["version"] }
    Eventfold::Engine.open(@store, v2) do |deployed|
      error = assert_raises(Eventfold::ModelChangedError) { failing.execute("Todos", "home", add("x", "Lost")) }
      assert_equal "Todos", error.model
      assert_equal 3, deployed.read_all(raw: true).size, "nothing written"

      assert_equal 1, created_version(following)
      following.execute("Todos", "work", add("y", "Followed"))
      assert_equal 2, created_version(following), "the follower runs V2 after its command"
      assert_equal 2, created_version(deployed)
      assert_equal [[2, "high"]], deployed.read_stream("Todos-work", from_version: 2, raw: true)
                                          .map { |e| [e["schema"], e["data"]["priority"]] }
      # The one that failed still fails: it does not follow by itself.
      assert_raises(Eventfold::ModelChangedError) { failing.execute("Todos", "work", add("z", "Lost")) }
    end
  ensure
    [failing, following].each { |e| e&.close }
  end

  def test_every_model_change_call_after_close_raises
    engine = Eventfold::Engine.open(@store, v1)
    domain = engine.domain
    engine.close
    # A Domain taken before close stays usable on its own.
    assert_equal ["Todos"], domain.models
    [-> { engine.domain }, -> { engine.migrate_plan(v2) }, -> { engine.migrate_apply(v2) }, -> { engine.model_versions }].each do |call|
      error = assert_raises(Eventfold::StoreError) { call.call }
      assert_equal "closed", error.kind
    end
  end

  def test_on_model_change_is_checked_by_the_core
    error = assert_raises(Eventfold::InvalidCommandError) { Eventfold::Engine.open(@store, v1, on_model_change: "ignore") }
    assert_equal "options.on_model_change", error.path
  end
end
