# frozen_string_literal: true

require "ffi"
require "json"
require "time"

module Eventfold
  # @api private
  # The edge: the one module that touches FFI and JSON text. Every C
  # function writes the result or the error JSON to `char **out`; `call`
  # frees that string before it returns or raises.
  module Native
    extend FFI::Library

    # `EVENTFOLD_LIB`, else the copy bundled in the gem's lib/, else a build
    # of the library in the source tree this gem sits in.
    def self.library_path
      env = ENV.fetch("EVENTFOLD_LIB", "")
      return env unless env.empty?

      name = FFI::Platform.mac? ? "libeventfold.dylib" : "libeventfold.so"
      root = File.expand_path("../../../..", __dir__)
      candidates = [
        File.expand_path("../#{name}", __dir__),
        File.join(root, "target", "release", name),
        File.join(root, "target", "debug", name)
      ]
      candidates.find { |path| File.file?(path) } or
        raise LoadError, "cannot find #{name}: set EVENTFOLD_LIB to its path"
    end

    ffi_lib library_path

    typedef :pointer, :handle
    typedef :pointer, :out

    attach_function :eventfold_string_free, [:pointer], :void
    attach_function :eventfold_version, [], :string
    attach_function :eventfold_limits, %i[out], :int
    attach_function :eventfold_error_table, %i[out], :int
    attach_function :eventfold_status_code, %i[int], :string

    attach_function :eventfold_domain_compile, %i[string pointer out], :int
    attach_function :eventfold_domain_compile_files, %i[pointer size_t pointer out], :int
    attach_function :eventfold_domain_free, [:handle], :void
    attach_function :eventfold_domain_models, %i[handle out], :int
    attach_function :eventfold_domain_describe, %i[handle out], :int
    attach_function :eventfold_domain_initial_state, %i[handle string out], :int
    attach_function :eventfold_domain_propose, %i[handle string string string string out], :int
    attach_function :eventfold_domain_accept, %i[handle string string string out], :int
    attach_function :eventfold_domain_replay, %i[handle string string string out], :int
    attach_function :eventfold_domain_query, %i[handle string string string string out], :int
    attach_function :eventfold_domain_upcast, %i[handle string string out], :int
    attach_function :eventfold_domain_project, %i[handle string string string out], :int

    # Calls that touch the store release the GVL: other Ruby threads run
    # while one waits on SQLite.
    attach_function :eventfold_engine_open, %i[string handle string pointer out], :int, blocking: true
    attach_function :eventfold_engine_free, [:handle], :void, blocking: true
    attach_function :eventfold_engine_execute, %i[handle string string string string out], :int, blocking: true
    attach_function :eventfold_engine_execute_many, %i[handle string out], :int, blocking: true
    attach_function :eventfold_engine_load, %i[handle string string out], :int, blocking: true
    attach_function :eventfold_engine_query, %i[handle string string string string out], :int, blocking: true
    attach_function :eventfold_engine_read_stream, %i[handle string string out], :int, blocking: true
    attach_function :eventfold_engine_read_all, %i[handle string out], :int, blocking: true
    attach_function :eventfold_engine_streams, %i[handle string out], :int, blocking: true
    attach_function :eventfold_engine_close, %i[handle out], :int, blocking: true

    # The read side: every call may wait on the store (wait_for, rebuild and
    # poll on purpose), so each releases the GVL.
    attach_function :eventfold_engine_rows, %i[handle string string out], :int, blocking: true
    attach_function :eventfold_engine_projections, %i[handle out], :int, blocking: true
    attach_function :eventfold_engine_wait_for, %i[handle uint64 string out], :int, blocking: true
    attach_function :eventfold_engine_rebuild, %i[handle string out], :int, blocking: true
    attach_function :eventfold_engine_subscribe, %i[handle string string pointer out], :int, blocking: true
    attach_function :eventfold_engine_subscriptions, %i[handle out], :int, blocking: true
    attach_function :eventfold_engine_parked, %i[handle string out], :int, blocking: true
    attach_function :eventfold_subscription_poll, %i[handle size_t uint64 out], :int, blocking: true
    attach_function :eventfold_subscription_ack, %i[handle uint64 out], :int, blocking: true
    attach_function :eventfold_subscription_park, %i[handle uint64 string out], :int, blocking: true
    attach_function :eventfold_subscription_close, %i[handle out], :int, blocking: true
    attach_function :eventfold_subscription_free, [:handle], :void, blocking: true

    # Model changes: a plan replays every affected stream and an apply
    # builds snapshots and projections, so both release the GVL.
    attach_function :eventfold_engine_migrate_plan, %i[handle handle string out], :int, blocking: true
    attach_function :eventfold_engine_migrate_apply, %i[handle handle string out], :int, blocking: true
    attach_function :eventfold_engine_model_versions, %i[handle out], :int, blocking: true
    attach_function :eventfold_engine_domain, %i[handle pointer out], :int

    module_function

    # Calls `eventfold_<fn>(*args, &out)`: the decoded JSON of `out` (nil
    # when the function writes none), or raises the error.
    def call(fn, *args)
      text = call_text(fn, *args)
      text && JSON.parse(text)
    end

    def call_text(fn, *args)
      out = FFI::MemoryPointer.new(:pointer)
      status = public_send(:"eventfold_#{fn}", *args, out)
      ptr = out.read_pointer
      text = nil
      unless ptr.null?
        text = ptr.read_string.force_encoding(Encoding::UTF_8)
        eventfold_string_free(ptr)
      end
      raise error(text, status) unless status.zero?

      text
    end

    # Creates a handle with `eventfold_<fn>(*args, &handle, &out)`, freed by
    # `free` when the Ruby object is collected.
    def create(fn, free, *args)
      slot = FFI::MemoryPointer.new(:pointer)
      call_text(fn, *args, slot)
      FFI::AutoPointer.new(slot.read_pointer, method(free))
    end

    def error(text, status)
      details = begin
        JSON.parse(text.to_s)
      rescue JSON::ParserError
        nil
      end
      details = { "code" => "internal", "message" => "status #{status} without an error text" } unless details.is_a?(Hash)
      Error.from_details(details)
    end

    # A string argument for C: text, with no NUL byte to cut it short.
    def text(value, name)
      raise Error.of("invalid_json", "`#{name}` must be a String, not #{value.class}") unless value.is_a?(String)
      raise Error.of("invalid_json", "`#{name}` holds a NUL byte") if value.include?("\0")

      value
    end

    # JSON text of a value; a String is taken as JSON text already.
    def encode(value, name)
      return text(value, name) if value.is_a?(String)

      JSON.generate(jsonable(value, name, "", max_depth))
    rescue JSON::NestingError => e
      raise Error.of("limit_exceeded", "`#{name}` is nested too deeply: #{e.message}", "limit" => "max_input_depth")
    rescue JSON::GeneratorError, Encoding::UndefinedConversionError, ArgumentError => e
      raise Error.of("invalid_json", "`#{name}` cannot be encoded as JSON: #{e.message}")
    end

    # `max_input_depth` as the library has it (`eventfold_limits`), asked once.
    def max_depth
      @max_depth ||= Integer(call(:limits).fetch("max_input_depth"))
    end

    # The code of a value that has no JSON form, by the argument it is in.
    NOT_JSON = Hash.new("invalid_command").merge("event" => "invalid_event", "events" => "invalid_event",
                                                  "state" => "invalid_json", "sources" => "invalid_json",
                                                  "tables" => "invalid_json").freeze

    # `value` as JSON.generate should see it: a Time (or DateTime) becomes
    # its RFC 3339 text, as `now:` does; a value JSON has no form for is
    # refused at its path, where JSON.generate would write its `to_s`; nesting
    # past `levels` is the core's `limit_exceeded`. A Hash or Array is copied
    # only when something in it changed.
    def jsonable(value, name, path, levels)
      case value
      when String, Integer, Float, true, false, nil, Symbol
        value
      when Hash, Array
        if levels.zero?
          raise Error.of("limit_exceeded", "`#{name}` nests deeper than #{max_depth} levels of hashes and arrays " \
                                           "(the limit max_input_depth)", "limit" => "max_input_depth")
        end
        jsonable_items(value, name, path, levels - 1)
      when Time, (defined?(DateTime) ? DateTime : Time)
        timestamp(value)
      else
        not_json(value, name, path)
      end
    end

    def jsonable_items(value, name, path, levels)
      if value.is_a?(Hash)
        out = nil
        value.each do |k, v|
          item = jsonable(v, name, path.empty? ? k.to_s : "#{path}.#{k}", levels)
          next if item.equal?(v)

          (out ||= value.dup)[k] = item
        end
      else
        out = nil
        value.each_with_index do |v, i|
          item = jsonable(v, name, "#{path}[#{i}]", levels)
          next if item.equal?(v)

          (out ||= value.dup)[i] = item
        end
      end
      out || value
    end

    def not_json(value, name, path)
      hint = value.is_a?(Date) ? "; a Date has no time of day: give a Time for a timestamp, or a String" : ""
      at = path.empty? ? "`#{name}`" : "`#{name}` at `#{path}`"
      raise Error.of(NOT_JSON[name],
                     "#{at} is a #{value.class}, which has no JSON form: give a Hash, Array, String, Integer, " \
                     "Float, true, false, nil, Symbol or Time#{hint}",
                     "path" => path)
    end

    # A count or a position for C's unsigned integers: an Integer >= 0.
    def count(value, name)
      return value if value.is_a?(Integer) && value >= 0 && value < 2**64

      raise Error.of("invalid_command", "`#{name}` must be an Integer of at least 0, not #{value.inspect}",
                     "path" => name)
    end

    # Seconds (any Numeric >= 0) as the library's whole milliseconds, rounded up.
    def millis(seconds, name)
      unless seconds.is_a?(Numeric) && seconds.real? && seconds >= 0 && seconds.to_f.finite?
        raise Error.of("invalid_command", "`#{name}` must be a number of seconds of at least 0, not #{seconds.inspect}",
                       "path" => name)
      end

      [(seconds * 1000).ceil, 2**53].min
    end

    def encode_optional(value, name)
      value.nil? ? nil : encode(value, name)
    end

    # Options as the library takes them: nil values left out, times in RFC 3339.
    def options(hash, name = "options")
      hash = hash.compact.transform_values { |v| v.respond_to?(:iso8601) ? timestamp(v) : v }
      hash.empty? ? nil : encode(hash, name)
    end

    def timestamp(time)
      time.respond_to?(:iso8601) ? time.iso8601(9) : text(time, "now")
    end
  end
end
