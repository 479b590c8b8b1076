# frozen_string_literal: true

module Eventfold
  # A domain over an event store: runs commands, appends their events with
  # optimistic concurrency, reads them back. One engine may serve every
  # thread of a process (Puma): calls that touch the store release the GVL,
  # and commands on one stream are serialised without lost updates. After
  # #close every call raises StoreErrorError.
  class Engine
    # `store`: `"memory:"` or `"sqlite:path/to/events.db"` (append
    # `?synchronous=normal` to trade the durability of the last transactions
    # for speed). Options: `cache_capacity:`, `snapshot_every:`,
    # `max_attempts:`. With a block, yields the engine and closes it after.
    def self.open(store, domain, **options)
      raise Error.of("invalid_json", "`domain` must be an Eventfold::Domain") unless domain.is_a?(Domain)

      handle = Native.create(:engine_open, :eventfold_engine_free, Native.text(store, "store"),
                             domain.handle, Native.options(options))
      engine = new(handle, domain)
      return engine unless block_given?

      begin
        yield engine
      ensure
        engine.close
      end
    end

    attr_reader :domain

    # @api private
    def initialize(handle, domain)
      @handle = handle
      @domain = domain
    end

    # Runs a command on the stream `"#{model}-#{id}"` and appends its events.
    # Options: `expected_version:`, `command_id:`, `metadata:`, `now:`,
    # `correlation_id:`, `causation_id:`. Returns
    # `{"stream", "version", "events"}`. Raises RejectedError,
    # VersionConflictError, ...
    def execute(model, id, command, **options)
      Native.call(:engine_execute, @handle, Native.text(model, "model"), Native.text(id, "id"),
                  Native.encode(command, "command"), Native.options(options))
    end

    # Many commands in one transaction, all appended or none: requests are
    # `{ model:, id:, command:, options: {} }`.
    def execute_many(requests)
      requests = requests.map { |r| request(r) } if requests.is_a?(Array)
      Native.call(:engine_execute_many, @handle, Native.encode(requests, "requests"))
    end

    # `{"state", "version"}` of the stream `"#{model}-#{id}"`.
    def load(model, id)
      Native.call(:engine_load, @handle, Native.text(model, "model"), Native.text(id, "id"))
    end

    def query(model, id, name, args = {})
      Native.call(:engine_query, @handle, Native.text(model, "model"), Native.text(id, "id"),
                  Native.text(name, "name"), Native.encode_optional(args, "args"))
    end

    # The stored events of one stream, in order.
    def read_stream(stream, from_version: nil, limit: nil)
      Native.call(:engine_read_stream, @handle, Native.text(stream, "stream"),
                  Native.options(from_version: from_version, limit: limit))
    end

    # Every stored event, in global order.
    def read_all(from_position: nil, limit: nil)
      Native.call(:engine_read_all, @handle, Native.options(from_position: from_position, limit: limit))
    end

    # `[{"stream", "version"}, ...]`, of one model or of all.
    def streams(model: nil)
      Native.call(:engine_streams, @handle, Native.options(model: model))
    end

    # Closes the store; closing twice is fine.
    def close
      Native.call(:engine_close, @handle)
      nil
    end

    def inspect = "#<Eventfold::Engine>"

    private

    # One request of a batch, its options as #execute takes them.
    def request(req)
      return req unless req.is_a?(Hash)

      key = req.key?(:options) ? :options : "options"
      opts = req[key]
      return req unless opts.is_a?(Hash)

      req.merge(key => opts.compact.transform_values { |v| v.respond_to?(:iso8601) ? Native.timestamp(v) : v })
    end
  end
end
