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
    "an empty model file" => ["model_error", ->(_) { Eventfold::Domain.compile("a.model" => "model") }],
    "sources not text" => ["invalid_json", ->(_) { Eventfold::Domain.compile("a.model" => 5) }],
    "a huge model file" => ["limit_exceeded", ->(_) { Eventfold::Domain.compile("a.model" => " " * (2 << 20)) }],
    "a missing model file" => ["store_error", ->(_) { Eventfold::Domain.from_files("/nonexistent.model") }],
    "an engine on no domain" => ["invalid_json", ->(_) { Eventfold::Engine.open("memory:", nil) }],
    "an unknown store" => ["store_error", ->(d) { Eventfold::Engine.open("nosuch:", d) }],
    "an unknown engine option" => ["invalid_json", ->(d) { Eventfold::Engine.open("memory:", d, cache: 1) }]
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
