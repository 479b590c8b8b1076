# frozen_string_literal: true

require_relative "test_helper"

# The error classes against the core's table of codes and fields
# (`eventfold_error_table`).
class TestErrors < Minitest::Test
  include Helpers

  TABLE = Eventfold::Native.call(:error_table)

  def sample(field)
    case field
    when "diagnostics" then [{ "file" => "a.model", "line" => 1, "column" => 2, "message" => "m" }]
    when "expected" then 3
    when "actual" then 4
    else "the #{field}"
    end
  end

  def test_every_code_has_its_class
    codes = TABLE.map { |s| s["code"] }
    assert_equal 18, codes.size
    assert_equal codes.sort, Eventfold::Error::CLASSES.keys.sort
    codes.each do |code|
      error = Eventfold::Error.of(code, "m")
      assert_equal code, error.code
      assert_kind_of Eventfold::Error, error
      refute_instance_of Eventfold::InternalError, error unless code == "internal"
      # The class is the one the C status of the code names.
      status = (0..32).find { |s| Eventfold::Native.eventfold_status_code(s) == code }
      refute_nil status, "a C status for #{code}"
    end
  end

  def test_every_field_of_the_table_is_a_reader
    TABLE.each do |spec|
      details = { "code" => spec["code"], "message" => "m" }
      spec["fields"].each { |f| details[f] = sample(f) }
      error = Eventfold::Error.from_details(details)
      spec["fields"].each do |f|
        assert_respond_to error, f
        assert_equal sample(f), error.public_send(f), "#{spec['code']}.#{f}"
      end
    end
  end

  def test_class_names_have_no_doubled_suffix
    assert_equal "model_error", Eventfold::ModelError::CODE
    assert_equal "store_error", Eventfold::StoreError::CODE
    assert_equal "evaluation_error", Eventfold::EvaluationError::CODE
    assert_equal "io_error", Eventfold::IoError::CODE
    Eventfold::Error::CLASSES.each_value do |klass|
      refute_match(/ErrorError\z/, klass.name)
    end
    # The old names are the same classes, deprecated.
    Warning[:deprecated] = false
    assert_same Eventfold::ModelError, Eventfold.const_get(:ModelErrorError)
    assert_same Eventfold::StoreError, Eventfold.const_get(:StoreErrorError)
  end

  def test_a_missing_model_file_is_io_error_naming_it
    missing = File.join(Dir.tmpdir, "eventfold-no-such-#{Process.pid}.model")
    error = assert_raises(Eventfold::IoError) do
      Eventfold::Domain.from_files(File.join(ROOT, "examples/todos/todos.model"), missing)
    end
    assert_equal "io_error", error.code
    assert_equal missing, error.path
    assert_includes error.message, missing
  end

  def test_a_store_error_carries_its_kind
    store = TABLE.find { |s| s["code"] == "store_error" }
    assert_equal %w[busy unavailable corrupt closed io], store["kinds"]
    engine = Eventfold::Engine.open("memory:", counter)
    engine.close
    error = assert_raises(Eventfold::StoreError) { engine.load("Counter", "a") }
    assert_equal "closed", error.kind
  end

  def test_a_bad_option_is_the_cores_invalid_command
    error = assert_raises(Eventfold::InvalidCommandError) { Eventfold::Engine.open("memory:", counter, cache: 1) }
    assert_equal "options.cache", error.path
    assert_includes error.message, "cache_capacity, snapshot_every, max_attempts"
    engine = Eventfold::Engine.open("memory:", counter)
    error = assert_raises(Eventfold::InvalidCommandError) { engine.read_stream("Counter-a", from_version: -1) }
    assert_equal "options.from_version", error.path
  end

  # The depth Ruby checks itself is reported with the name the core gives
  # the same fault.
  def test_the_depth_limit_has_the_cores_name
    deep = 1
    100.times { deep = [deep] }
    as_text = assert_raises(Eventfold::LimitExceededError) { counter.replay("Counter", JSON.generate(deep, max_nesting: false)) }
    as_array = assert_raises(Eventfold::LimitExceededError) { counter.replay("Counter", deep) }
    assert_equal "max_input_depth", as_text.limit
    assert_equal as_text.limit, as_array.limit
  end
end
