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
    # Raises ModelError with every diagnostic.
    def self.compile(sources)
      list = sources.map { |name, text| { "name" => name.to_s, "text" => text } }
      new(Native.create(:domain_compile, :eventfold_domain_free, Native.encode(list, "sources")))
    end

    # Compiles model files read from disk (by the core, through
    # `eventfold_domain_compile_files`); paths appear in diagnostics as
    # given. A file that cannot be read raises IoError, whose #path names it.
    def self.from_files(*paths)
      list = paths.flatten.map { |path| Native.text(path.to_s, "paths") }
      strings = list.map { |path| FFI::MemoryPointer.from_string(path) }
      array = FFI::MemoryPointer.new(:pointer, [strings.size, 1].max)
      array.write_array_of_pointer(strings)
      new(Native.create(:domain_compile_files, :eventfold_domain_free, array, strings.size))
    end

    # @api private
    attr_reader :handle

    # @api private
    def initialize(handle)
      @handle = handle
    end

    # The names of the models.
    def models = Native.call(:domain_models, @handle)

    # The whole ubiquitous language, as a Hash:
    # - "models": each with its state, records, enums, commands, events
    #   (each with its "version"), "upcasts" (each
    #   `{"name", "version", "doc", "fields", "emits" => [{"name", "version"}]}`),
    #   queries, invariants and docs;
    # - "tables": each `{"name", "doc", "columns" => [{"name", "type", "key",
    #   "optional", "default", "doc"}], "key" => [column names], "projection"}`;
    # - "projections": each `{"name", "mode" ("inline" or "async"), "doc",
    #   "handles" => [{"model", "event"}], "writes" => [table names]}`;
    # - "tzdb": the IANA time zone release the calendar uses, e.g. "2025b".
    #
    # @return [Hash]
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

    # The state after one event (on `state`, nil: the initial state). An
    # event of an older "schema" is upcast first, and every event it becomes
    # is folded.
    #
    # @param event [Hash, String] `{ "type" => "created", "schema" => 1, "data" => {...} }`
    # @return [Hash] the state
    def accept(model, state, event)
      Native.call(:domain_accept, @handle, Native.text(model, "model"),
                  Native.encode_optional(state, "state"), Native.encode(event, "event"))
    end

    # The state after a list of events, folded over `state` (nil: the
    # initial state); each may name its "schema", as for #accept.
    #
    # @param events [Array<Hash>, String]
    # @return [Hash] the state
    def replay(model, events, state = nil)
      Native.call(:domain_replay, @handle, Native.text(model, "model"),
                  Native.encode(events, "events"), Native.encode_optional(state, "state"))
    end

    # A stored event as the current model reads it (MODEL-LANGUAGE.md §12):
    # the events of the current version it becomes, none, one or several.
    #
    # @param model [String]
    # @param event [Hash, String] `{ "type" => "todo-added", "schema" => 1, "data" => {...} }`;
    #   a left-out "schema" is the newest version of that name
    # @return [Array<Hash>] each `{ "type" => ..., "schema" => Integer, "data" => Hash }`
    # @raise [InvalidEventError] a "schema" that is not an Integer >= 1 (path "schema"), or data of the wrong shape
    # @raise [UnknownEventError] a name or version the model does not declare
    def upcast(model, event)
      Native.call(:domain_upcast, @handle, Native.text(model, "model"), Native.encode(event, "event"))
    end

    # The tables of a projection after folding `events` in order onto
    # `tables` (nil: every table empty), MODEL-LANGUAGE.md §13.
    #
    # @param projection [String]
    # @param events [Array<Hash>, String] each `{ "model", "id", "type", "data" }`, with optional
    #   "schema", "version", "position", "recorded_at" (a Time or RFC 3339 text), "metadata" and "event_id"
    # @param tables [Hash{String => Array<Hash>}, String, nil] `{ "todo_rows" => [row, ...] }`
    # @return [Hash{String => Array<Hash>}] every table the projection writes, rows in key order
    # @raise [UnknownProjectionError] the domain declares no projection of that name
    # @raise [EvaluationError] a handler failed (an insert of a key already there)
    def project(projection, events, tables = nil)
      Native.call(:domain_project, @handle, Native.text(projection, "projection"),
                  Native.encode(events, "events"), Native.encode_optional(tables, "tables"))
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
