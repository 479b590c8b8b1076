# frozen_string_literal: true

module Eventfold
  # Compiled models: the pure verbs, no store. Immutable and thread-safe:
  # compile it once at boot and share it.
  #
  # Values go in as hashes (or JSON text, taken as is) and come out as
  # hashes with string keys.
  class Domain
    # Compiles model files into one domain. `sources` is
    # `{ "todos.model" => text, ... }`; the names appear in diagnostics.
    # Raises ModelErrorError with every diagnostic.
    def self.compile(sources)
      list = sources.map { |name, text| { "name" => name.to_s, "text" => text } }
      new(Native.create(:domain_compile, :eventfold_domain_free, Native.encode(list, "sources")))
    end

    # Compiles model files read from disk.
    def self.from_files(*paths)
      compile(paths.flatten.to_h { |path| [path.to_s, File.read(path, encoding: "UTF-8")] })
    rescue SystemCallError => e
      raise Error.of("store_error", "cannot read a model file: #{e.message}")
    end

    # @api private
    attr_reader :handle

    # @api private
    def initialize(handle)
      @handle = handle
    end

    # The names of the models.
    def models = Native.call(:domain_models, @handle)

    # The whole ubiquitous language: models, state, commands, events, queries, docs.
    def describe = Native.call(:domain_describe, @handle)

    def initial_state(model)
      Native.call(:domain_initial_state, @handle, Native.text(model, "model"))
    end

    # The events a command emits on a state (nil: the initial state);
    # `now` (a Time or RFC 3339 text, nil: the clock) is the time the model
    # sees. Raises RejectedError when the model refuses.
    def propose(model, state, command, now: nil)
      Native.call(:domain_propose, @handle, Native.text(model, "model"),
                  Native.encode_optional(state, "state"), Native.encode(command, "command"),
                  now && Native.timestamp(now))
    end

    # The state after one event (on `state`, nil: the initial state).
    def accept(model, state, event)
      Native.call(:domain_accept, @handle, Native.text(model, "model"),
                  Native.encode_optional(state, "state"), Native.encode(event, "event"))
    end

    # The state after a list of events, folded over `state` (nil: the initial state).
    def replay(model, events, state = nil)
      Native.call(:domain_replay, @handle, Native.text(model, "model"),
                  Native.encode(events, "events"), Native.encode_optional(state, "state"))
    end

    # The value of a query on a state (nil: the initial state).
    def query(model, state, name, args = {})
      Native.call(:domain_query, @handle, Native.text(model, "model"),
                  Native.encode_optional(state, "state"), Native.text(name, "name"),
                  Native.encode_optional(args, "args"))
    end

    def inspect = "#<Eventfold::Domain #{models.join(', ')}>"
  end
end
