# frozen_string_literal: true

require_relative "test_helper"

# Input a careless or hostile caller sends: always a typed error, never a crash.
class TestBadInput < Minitest::Test
  include Helpers

  deep_text = ("[" * 100_000) + ("]" * 100_000)
  deep = []
  200.times { deep = [deep] }

  INPUTS = {
    "not JSON" => ["invalid_json", ->(d) { d.propose("Counter", nil, '{"type": "bump", "data": {') }],
    "empty text" => ["invalid_json", ->(d) { d.propose("Counter", nil, "") }],
    "NUL in JSON text" => ["invalid_json", ->(d) { d.propose("Counter", nil, "{\"type\": \"bump\"}\0x") }],
    "NUL in a model name" => ["invalid_json", ->(d) { d.initial_state("Counter\0") }],
    "invalid UTF-8 in a model name" => ["invalid_json", ->(d) { d.initial_state("Count\xff".b) }],
    "invalid UTF-8 in data" => ["invalid_json", ->(d) { d.propose("Counter", nil, { type: "bump", data: { user: "\xc3\x28" } }) }],
    "invalid UTF-8 in JSON text" => ["invalid_json", ->(d) { d.propose("Counter", nil, "{\"type\": \"bu\xffmp\"}") }],
    "NaN" => ["invalid_json", ->(d) { d.propose("Counter", nil, { type: "bump", data: { by: Float::NAN } }) }],
    "a huge number" => ["invalid_command", ->(d) { d.propose("Counter", nil, { type: "bump", data: { by: 10**30 } }) }],
    "a float for an int" => ["invalid_command", ->(d) { d.propose("Counter", nil, { type: "bump", data: { by: 1.5 } }) }],
    "deeply nested JSON text" => ["limit_exceeded", ->(d) { d.replay("Counter", deep_text) }],
    "deeply nested arrays" => ["limit_exceeded", ->(d) { d.propose("Counter", nil, { type: "bump", data: { by: deep } }) }],
    "a list for a command" => ["invalid_command", ->(d) { d.propose("Counter", nil, [1, 2]) }],
    "a number for a command" => ["invalid_command", ->(d) { d.propose("Counter", nil, 5) }],
    "nil for a command" => ["invalid_command", ->(d) { d.propose("Counter", nil, nil) }],
    "a symbol for a model" => ["invalid_json", ->(d) { d.initial_state(:Counter) }],
    "nil for a model" => ["invalid_json", ->(d) { d.initial_state(nil) }],
    "a hash for events" => ["invalid_event", ->(d) { d.replay("Counter", { type: "bumped" }) }],
    "a bad timestamp" => ["invalid_command", ->(d) { d.propose("Counter", nil, { type: "bump" }, now: "yesterday") }],
    "an empty model name" => ["unknown_model", ->(d) { d.initial_state("") }],
    "an object that is no JSON" => ["invalid_command", ->(d) { d.propose("Counter", nil, { type: "bump", data: { by: Object.new } }) }],
    "upcast: not JSON" => ["invalid_json", ->(d) { d.upcast("Counter", '{"type": ') }],
    "upcast: NUL in JSON text" => ["invalid_json", ->(d) { d.upcast("Counter", "{\"type\": \"bumped\"}\0x") }],
    "upcast: deeply nested JSON text" => ["limit_exceeded", ->(d) { d.upcast("Counter", deep_text) }],
    "upcast: a list for an event" => ["invalid_event", ->(d) { d.upcast("Counter", [1, 2]) }],
    "upcast: an object that is no JSON" => ["invalid_event", ->(d) { d.upcast("Counter", { type: "bumped", data: { by: Object.new } }) }],
    "project: nil for a projection" => ["invalid_json", ->(d) { d.project(nil, []) }],
    "project: NUL in a projection name" => ["invalid_json", ->(d) { d.project("counts\0", []) }],
    "project: invalid UTF-8 in a projection name" => ["invalid_json", ->(d) { d.project("co\xffunts".b, []) }],
    "project: deeply nested tables" => ["limit_exceeded", ->(d) { d.project("counts", [], { "rows" => [deep] }) }],
    "project: tables that are no JSON" => ["invalid_json", ->(d) { d.project("counts", [], { "rows" => [Object.new] }) }],
    "an empty model file" => ["model_error", ->(_) { Eventfold::Domain.compile("a.model" => "model") }],
    "sources not text" => ["invalid_json", ->(_) { Eventfold::Domain.compile("a.model" => 5) }],
    "a huge model file" => ["limit_exceeded", ->(_) { Eventfold::Domain.compile("a.model" => " " * (2 << 20)) }],
    "a missing model file" => ["io_error", ->(_) { Eventfold::Domain.from_files("/nonexistent.model") }],
    "an engine on no domain" => ["invalid_json", ->(_) { Eventfold::Engine.open("memory:", nil) }],
    "an unknown store" => ["store_error", ->(d) { Eventfold::Engine.open("nosuch:", d) }],
    "an unknown engine option" => ["invalid_command", ->(d) { Eventfold::Engine.open("memory:", d, cache: 1) }],
    "rows: NUL in a table name" => ["invalid_json", ->(d) { Eventfold::Engine.open("memory:", d).rows("rows\0") }],
    "rows: a symbol for a table" => ["invalid_json", ->(d) { Eventfold::Engine.open("memory:", d).rows(:rows) }],
    "rows: an object for a key" => ["invalid_command", ->(d) { Eventfold::Engine.open("memory:", d).rows("rows", key: Object.new) }],
    "wait_for: a string for a position" => ["invalid_command", ->(d) { Eventfold::Engine.open("memory:", d).wait_for("1") }],
    "wait_for: infinity for a timeout" => ["invalid_command", ->(d) { Eventfold::Engine.open("memory:", d).wait_for(1, timeout: Float::INFINITY) }],
    "subscribe: nil for a name" => ["invalid_json", ->(d) { Eventfold::Engine.open("memory:", d).subscribe(nil) }],
    "subscribe: a hash for from" => ["invalid_command", ->(d) { Eventfold::Engine.open("memory:", d).subscribe("s", from: { at: 1 }) }],
    "poll: a float for max" => ["invalid_command", ->(d) { Eventfold::Engine.open("memory:", d).subscribe("s").poll(1.5) }],
    "park: a number for a reason" => ["invalid_json", ->(d) { Eventfold::Engine.open("memory:", d).subscribe("s").park(1, 5) }]
  }.freeze

  INPUTS.each do |name, (code, call)|
    define_method("test_#{name}") do
      error = assert_raises(Eventfold::Error) { call.call(counter) }
      assert_equal code, error.code, error.message
      refute_empty error.message
    end
  end

  def test_the_domain_still_works_afterwards
    d = counter
    INPUTS.each_value do |_, call|
      call.call(d)
    rescue Eventfold::Error
      nil
    end
    assert_equal 1, d.propose("Counter", nil, { type: "bump" }).dig(0, "data", "by")
  end
end

# A value JSON has no form for is refused at its path, never stored as its to_s.
class TestNotJson < Minitest::Test
  MODEL = <<~MODEL
    model Notes {
      state { notes: list<string>; at: timestamp? }
      command add(note: string, tags: list<string> = [], at: timestamp? = null) { emit added(note, at) }
      event added(note: string, at: timestamp?) { set notes = notes + [note]; set at = at }
    }
  MODEL

  def domain = Eventfold::Domain.compile("notes.model" => MODEL)

  def test_an_object_for_a_string_is_refused_at_its_path
    thing = Struct.new(:name).new("x")
    [
      [{ type: "add", data: { note: Object.new } }, "data.note", "Object"],
      [{ type: "add", data: { note: "n", tags: ["a", thing] } }, "data.tags[1]", thing.class.to_s],
      [{ type: "add", data: { note: 1..2 } }, "data.note", "Range"],
      [{ type: "add", data: { note: Date.new(2026, 1, 2) } }, "data.note", "Date"],
      [{ type: "add", data: { note: Rational(1, 2) } }, "data.note", "Rational"]
    ].each do |command, path, type|
      error = assert_raises(Eventfold::InvalidCommandError, path) { domain.propose("Notes", nil, command) }
      assert_equal path, error.path
      assert_includes error.message, "is a #{type}, which has no JSON form"
    end
    engine = Eventfold::Engine.open("memory:", domain)
    assert_raises(Eventfold::InvalidCommandError) { engine.execute("Notes", "a", { type: "add", data: { note: Object.new } }) }
    assert_equal 0, engine.load("Notes", "a")["version"], "nothing was stored"
    assert_raises(Eventfold::InvalidEventError) { domain.accept("Notes", nil, { type: "added", data: { note: Object.new } }) }
  ensure
    engine&.close
  end

  def test_documented_values_still_convert
    at = Time.utc(2026, 1, 2, 3, 4, 5)
    events = domain.propose("Notes", nil, { type: "add", data: { note: :sym, tags: [:a], at: at } })
    assert_equal({ "note" => "sym", "at" => "2026-01-02T03:04:05Z" }, events[0]["data"])
    # DateTime is a time as well.
    events = domain.propose("Notes", nil, { "type" => "add", "data" => { "note" => "x", "at" => DateTime.new(2026, 1, 2, 3, 4, 5) } })
    assert_equal "2026-01-02T03:04:05Z", events[0].dig("data", "at")
  end

  def test_the_depth_limit_is_the_cores
    nest = ->(n) { (1..n).reduce(1) { |v, _| [v] } }
    # The command and its data are two levels: 64 in all reach the core.
    error = assert_raises(Eventfold::InvalidCommandError) { domain.propose("Notes", nil, { type: "add", data: { note: nest.(62) } }) }
    assert_equal "data.note", error.path
    error = assert_raises(Eventfold::LimitExceededError) { domain.propose("Notes", nil, { type: "add", data: { note: nest.(63) } }) }
    assert_equal "max_input_depth", error.limit
    deep = nest.(100_000)
    error = assert_raises(Eventfold::LimitExceededError) { domain.propose("Notes", nil, { type: "add", data: { note: deep } }) }
    assert_equal "max_input_depth", error.limit
  end
end
