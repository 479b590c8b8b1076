# frozen_string_literal: true

require_relative "test_helper"

class TestDomain < Minitest::Test
  include Helpers

  def test_models_and_describe
    d = counter
    assert_equal ["Counter"], d.models
    assert_equal "bump", d.describe["models"][0]["commands"][0]["name"]
  end

  def test_verbs_round_trip_hashes
    d = counter
    state = d.initial_state("Counter")
    assert_equal({ "count" => 0, "by_user" => {}, "notes" => [] }, state)
    events = d.propose("Counter", state, { type: "bump", data: { by: 2, user: "ann" }, metadata: {} })
    assert_equal [{ "type" => "bumped", "data" => { "by" => 2, "user" => "ann" } }], events
    state = d.accept("Counter", state, events[0])
    noted = d.propose("Counter", state, { "type" => "note", "data" => { "note" => { "text" => "hi", "tags" => {} } } })
    state = d.accept("Counter", state, noted[0])
    assert_equal({ "count" => 2, "by_user" => { "ann" => 2 }, "notes" => [{ "text" => "hi", "tags" => {} }] }, state)
    assert_equal state, d.replay("Counter", events + noted)
    assert_equal 4, d.replay("Counter", events, state)["count"]
    assert_equal 4, d.query("Counter", state, "twice")
    assert_equal 12, d.query("Counter", state, "plus", { n: 10 })
    assert_equal 1, d.propose("Counter", nil, '{"type": "bump"}').dig(0, "data", "by")
  end

  def test_upcast_of_a_current_event_gives_it_back_at_its_schema
    d = counter
    bumped = { "type" => "bumped", "schema" => 1, "data" => { "by" => 3, "user" => "ann" } }
    assert_equal [bumped], d.upcast("Counter", bumped)
    assert_equal [bumped], d.upcast("Counter", { type: "bumped", data: { by: 3, user: "ann" } })
    assert_equal [bumped], d.upcast("Counter", '{"type": "bumped", "schema": 1, "data": {"by": 3, "user": "ann"}}')
    stored = bumped.merge("id" => "e-1", "stream" => "Counter-a", "version" => 1, "position" => 4, "metadata" => {})
    assert_equal [bumped], d.upcast("Counter", stored)
  end

  def test_accept_and_replay_take_a_schema
    d = counter
    bumped = { "type" => "bumped", "schema" => 1, "data" => { "by" => 3, "user" => "ann" } }
    assert_equal 3, d.accept("Counter", nil, bumped)["count"]
    assert_equal 6, d.replay("Counter", [bumped, { type: "bumped", data: { by: 3, user: "ann" } }])["count"]
    error = assert_raises(Eventfold::UnknownEventError) { d.replay("Counter", [bumped, bumped.merge("schema" => 2)]) }
    assert_includes error.message, "event 1"
  end

  def test_project_of_an_undeclared_projection
    d = counter
    event = { model: "Counter", id: "a", type: "bumped", data: { by: 1, user: "ann" }, recorded_at: Time.utc(2026, 1, 2) }
    [nil, {}, { "counts" => [] }].each do |tables|
      error = assert_raises(Eventfold::UnknownProjectionError) { d.project("counts", [event], tables) }
      assert_equal "unknown_projection", error.code
      assert_includes error.message, "counts"
    end
  end

  def test_upcast_reads_old_shapes_and_drops
    d = tally
    assert_equal [{ "type" => "bumped", "schema" => 2, "data" => { "by" => 2, "user" => "anon", "tags" => {} } }],
                 d.upcast("Counter", { type: "bumped", schema: 1, data: { by: 2, tags: {} } })
    assert_equal [], d.upcast("Counter", { type: "reset", schema: 1 })
    assert_equal [], d.upcast("Counter", { type: "reset" })
    state = d.replay("Counter", [{ type: "bumped", schema: 1, data: { by: 2, tags: {} } }, { type: "reset", schema: 1 },
                                 { type: "bumped", data: { by: 3, user: "ann", tags: { x: 1 } } }])
    assert_equal({ "count" => 5, "by_user" => { "ann" => 3, "anon" => 2 } }, state)
  end

  def test_project_folds_events_onto_tables
    d = tally
    events = [
      { model: "Counter", id: "a", type: "bumped", schema: 1, data: { by: 2, tags: {} } },
      { model: "Counter", id: "a", type: "bumped", data: { by: 3, user: "ann", tags: {} },
        recorded_at: Time.utc(2026, 1, 2, 3, 4, 5), metadata: {} }
    ]
    tables = d.project("tally", events)
    assert_equal({ "tallies" => [{ "user" => "ann", "n" => 3, "tags" => {} }, { "user" => "anon", "n" => 2, "tags" => {} }] },
                 tables)
    assert_equal [6, 4], d.project("tally", events, tables)["tallies"].map { |row| row["n"] }
    assert_equal({ "tallies" => [] }, d.project("tally", []))
    assert_equal({ "tallies" => [] }, d.project("tally", "[]", "{}"))
    assert_raises(Eventfold::InvalidJsonError) { d.project("tally", "[{") }
    assert_includes assert_raises(Eventfold::UnknownTableError) { d.project("tally", [], { "nope" => [] }) }.message, "nope"
    assert_raises(Eventfold::InvalidJsonError) { d.project("tally", [], '{"tallies": [') }
    assert_equal "data.by", assert_raises(Eventfold::InvalidEventError) {
      d.project("tally", [{ model: "Counter", id: "a", type: "bumped", data: { by: "x" } }])
    }.path
  end

  def test_describe_has_versions_tables_and_projections
    describe = tally.describe
    model = describe["models"][0]
    assert_equal 2, model["events"][0]["version"]
    assert_equal %w[bumped reset], model["upcasts"].map { |u| u["name"] }
    assert_equal [{ "name" => "bumped", "version" => 2 }], model["upcasts"][0]["emits"]
    assert_equal "tallies", describe["tables"][0]["name"]
    assert_equal ["user"], describe["tables"][0]["key"]
    assert_equal "tally", describe["tables"][0]["projection"]
    assert_equal "inline", describe["projections"][0]["mode"]
    assert_equal [{ "model" => "Counter", "event" => "bumped" }], describe["projections"][0]["handles"]
    assert_equal ["tallies"], describe["projections"][0]["writes"]
    assert_match(/\A\d{4}[a-z]\z/, describe["tzdb"])
  end

  def test_now
    d = Eventfold::Domain.compile("t.model" => "model T { state { at: timestamp? } command go() { emit went(at: now) } event went(at: timestamp) { set at = at } }")
    assert_equal "2026-01-02T03:04:05Z", d.propose("T", nil, { type: "go" }, now: Time.utc(2026, 1, 2, 3, 4, 5)).dig(0, "data", "at")
    assert_equal "2026-01-02T02:04:05.5Z", d.propose("T", nil, { type: "go" }, now: "2026-01-02T03:04:05.5+01:00").dig(0, "data", "at")
  end

  def test_rejected
    error = assert_raises(Eventfold::RejectedError) { counter.propose("Counter", nil, { type: "bump", data: { by: -1 } }) }
    assert_equal "rejected", error.code
    assert_equal "negative", error.reason
    assert_equal "by must not be negative", error.message
    assert_kind_of Eventfold::Error, error
  end

  def test_model_error_has_every_diagnostic
    error = assert_raises(Eventfold::ModelError) do
      Eventfold::Domain.compile("bad.model" => "model X {\n  state { n: nope }\n}\n", "worse.model" => "model")
    end
    files = error.diagnostics.map { |d| d["file"] }
    assert_includes files, "bad.model"
    assert_includes files, "worse.model"
  end

  ERRORS = {
    Eventfold::InvalidJsonError => ->(d) { d.propose("Counter", nil, '{"type":') },
    Eventfold::InvalidCommandError => ->(d) { d.propose("Counter", nil, { type: "bump", data: { by: "x" } }) },
    Eventfold::UnknownCommandError => ->(d) { d.propose("Counter", nil, { type: "nope" }) },
    Eventfold::InvalidEventError => ->(d) { d.accept("Counter", nil, { type: "bumped", data: {} }) },
    Eventfold::UnknownEventError => ->(d) { d.accept("Counter", nil, { type: "nope" }) },
    Eventfold::UnknownModelError => ->(d) { d.initial_state("Nope") },
    Eventfold::UnknownQueryError => ->(d) { d.query("Counter", nil, "nope") },
    Eventfold::UnknownProjectionError => ->(d) { d.project("nope", []) },
    Eventfold::EvaluationError => lambda { |d|
      d.accept("Counter", { count: 2**63 - 1, by_user: {}, notes: [] }, { type: "bumped", data: { by: 1, user: "a" } })
    }
  }.freeze

  def test_every_error_is_its_own_class
    d = counter
    ERRORS.each do |klass, call|
      error = assert_raises(klass) { call.call(d) }
      assert_equal klass::CODE, error.code
      assert_equal klass::CODE, error.details["code"]
    end
    assert_equal "data.by", assert_raises(Eventfold::InvalidCommandError) { ERRORS[Eventfold::InvalidCommandError].call(d) }.path
  end

  # A `schema` that is not an int of at least 1 is invalid_event at `schema`.
  def test_a_bad_schema_is_invalid_event_at_schema
    d = counter
    ["1", 0, -1, 1.0, 1.5, nil, true].each do |schema|
      event = { "type" => "bumped", "schema" => schema, "data" => { "by" => 1, "user" => "a" } }
      [-> { d.upcast("Counter", event) }, -> { d.accept("Counter", nil, event) }].each do |call|
        error = assert_raises(Eventfold::InvalidEventError, schema.inspect) { call.call }
        assert_equal "schema", error.path
      end
    end
    error = assert_raises(Eventfold::UnknownEventError) { d.upcast("Counter", { type: "bumped", schema: 2, data: { by: 1, user: "a" } }) }
    assert_equal "unknown_event", error.code
    assert_equal "data.by", assert_raises(Eventfold::InvalidEventError) { d.upcast("Counter", { type: "bumped", data: { by: "x" } }) }.path
    assert_raises(Eventfold::UnknownModelError) { d.upcast("Nope", { type: "bumped" }) }
  end
end
