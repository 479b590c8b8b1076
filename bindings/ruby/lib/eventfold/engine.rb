# frozen_string_literal: true

module Eventfold
  # A domain over an event store: runs commands, appends their events with
  # optimistic concurrency, reads them back. One engine may serve every
  # thread of a process (Puma): calls that touch the store release the GVL,
  # and commands on one stream are serialised without lost updates. After
  # #close every call raises StoreError.
  class Engine
    # `store`: `"memory:"`, `"sqlite:path/to/events.db"` (append
    # `?synchronous=normal` to trade the durability of the last transactions
    # for speed) or `"postgres://USER:PASSWORD@HOST:PORT/DB?schema=NAME"`
    # (docs/postgres.md). Options: `cache_capacity:`, `snapshot_every:`,
    # `max_attempts:`; `run_projections:` (default true: this engine runs
    # the async projections and rebuilds; false: it only writes inline ones
    # and reads); `on_projection_error:` (`"stop"`, the default, or
    # `"park"`: what an async projection does with an event its handler
    # fails on); `on_model_change:` (what a command does once another
    # engine made a newer model active in the store, see #migrate_apply:
    # `"fail"`, the default, raises ModelChangedError and writes nothing;
    # `"follow"` switches to the store's active model and runs the command
    # with it). With a block, yields the engine and closes it after.
    def self.open(store, domain, **options)
      raise Error.of("invalid_json", "`domain` must be an Eventfold::Domain") unless domain.is_a?(Domain)

      handle = Native.create(:engine_open, :eventfold_engine_free, Native.text(store, "store"),
                             domain.handle, Native.options(options))
      engine = new(handle)
      return engine unless block_given?

      begin
        yield engine
      ensure
        engine.close
      end
    end

    # The domain this engine runs now: the one it was opened with, the one
    # #migrate_apply switched it to, or, with `on_model_change: "follow"`,
    # the store's model it followed. A new Domain each call (the core may
    # switch at any command or read, and two domains cannot be told apart
    # cheaply), holding its own handle.
    #
    # @raise [StoreError] after #close
    def domain
      Domain.new(Native.create(:engine_domain, :eventfold_domain_free, @handle))
    end

    # @api private
    def initialize(handle)
      @handle = handle
    end

    # Runs a command on the stream `"#{model}-#{id}"` and appends its events.
    # Options: `expected_version:`, `command_id:`, `metadata:`, `now:`,
    # `correlation_id:`, `causation_id:`. Returns
    # `{"stream", "version", "position", "events"}`: `position` is the global
    # position of the command's last event (0 when it appended none), the
    # one to give #wait_for. Raises RejectedError, VersionConflictError, ...
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

    # The stored events of one stream, in order, upcast to the current
    # model; `raw: true`: exactly as stored (one per stored row, "type",
    # "schema" and "data" as written).
    def read_stream(stream, from_version: nil, limit: nil, raw: nil)
      Native.call(:engine_read_stream, @handle, Native.text(stream, "stream"),
                  Native.options(from_version: from_version, limit: limit, raw: raw))
    end

    # Every stored event, in global order (`raw:` as for #read_stream).
    def read_all(from_position: nil, limit: nil, raw: nil)
      Native.call(:engine_read_all, @handle, Native.options(from_position: from_position, limit: limit, raw: raw))
    end

    # `[{"stream", "version"}, ...]`, of one model or of all.
    def streams(model: nil)
      Native.call(:engine_streams, @handle, Native.options(model: model))
    end

    # ---- the read side: tables, projections, subscriptions ----

    # The rows of a table (MODEL-LANGUAGE.md §13) in key order, each a Hash
    # of every column in declared order. `key:` a prefix of the key values
    # in key order (a lone value: a prefix of one), `after:` a whole key
    # (the rows after it, to page), `limit:` how many at most.
    #
    # @return [Array<Hash>]
    # @raise [UnknownTableError] the domain declares no such table
    # @raise [InvalidCommandError] a bad option (#path e.g. `"options.key[1]"`)
    def rows(table, key: nil, after: nil, limit: nil)
      Native.call(:engine_rows, @handle, Native.text(table, "table"),
                  Native.options(key: key, after: after, limit: limit))
    end

    # Every projection of the domain, in domain order: each
    # `{"name", "mode" ("inline" | "async"), "status" ("live" | "rebuilding"
    # | "stopped"), "position", "lag", "parked", "error" (nil | {"code",
    # "message", "position"}), "rebuild" (nil | {"position", "head"})}`.
    #
    # @return [Array<Hash>]
    def projections = Native.call(:engine_projections, @handle)

    # Read-your-writes: waits until every async projection (or the one
    # named) has folded every event up to `position` (the "position" of an
    # #execute result). `timeout` is in seconds.
    #
    # @return [Boolean] true when it has, false at the timeout
    # @raise [UnknownProjectionError] a name the domain does not declare
    # @raise [Error] the stored error of a projection stopped below `position`
    def wait_for(position, projection: nil, timeout: 30.0)
      Native.call(:engine_wait_for, @handle, Native.count(position, "position"),
                  Native.options(projection: projection, timeout: Native.millis(timeout, "timeout")))
    end

    # Rebuilds a projection's tables from the first event, in shadow tables
    # while the live ones answer reads, then swaps them in. Blocks until done
    # (the GVL released).
    #
    # @return [Hash] `{"projection", "position", "events", "millis", "pause_millis"}`
    def rebuild(projection)
      Native.call(:engine_rebuild, @handle, Native.text(projection, "projection"))
    end

    # A durable subscription to the store's events, delivered at least once
    # from its checkpoint (see Subscription): `from:` `"start"`, `"end"` or a
    # position (that one included), used only when the name is new (one
    # with a checkpoint resumes after it); `models:` and `types:` filter, and
    # replace the filters stored with the name. With a block, yields the
    # subscription and closes it after.
    #
    # @return [Subscription]
    def subscribe(name, from: "start", models: nil, types: nil)
      handle = Native.create(:engine_subscribe, :eventfold_subscription_free, @handle, Native.text(name, "name"),
                             Native.options(from: from, models: models, types: types))
      subscription = Subscription.new(handle, self, name)
      return subscription unless block_given?

      begin
        yield subscription
      ensure
        subscription.close unless subscription.closed?
      end
    end

    # Every subscription of the store: `{"name", "checkpoint", "lag",
    # "parked", "models", "types", "active"}` each.
    #
    # @return [Array<Hash>]
    def subscriptions = Native.call(:engine_subscriptions, @handle)

    # The parked events of a subscription or a projection, oldest first:
    # `{"name", "position", "reason", "parked_at", "event"}` each; none for
    # a name with nothing parked.
    #
    # @return [Array<Hash>]
    def parked(name) = Native.call(:engine_parked, @handle, Native.text(name, "name"))

    # ---- model changes: plan, apply, the registered versions ----

    # What switching the store to `next_domain` would do, without doing it
    # (blocks, the GVL released, while it replays):
    # - "ok": false when "blocking" or "replay" "failed" is not empty;
    # - "models": `{"model", "from", "to", "replay"}` each (revisions);
    # - "language": `{"model", "change" ("added" | "removed" | "changed"),
    #   "kind", "name"}` each, e.g. an event `"created@2"` added;
    # - "blocking": each stored (type, schema) the new model cannot read:
    #   `{"model", "type", "schema", "events", "code", "message"}`;
    # - "replay": `{"streams", "events", "failed" => [{"stream", "code",
    #   "message"}], "different", "differences" => [{"stream", "changes" =>
    #   [{"path", "before", "after"}]}]}`, the first `differences:` (default
    #   5) differing streams with their difference;
    # - "projections": `{"name", "change" ("new" | "changed" | "removed")}`.
    #
    # @return [Hash]
    def migrate_plan(next_domain, differences: nil)
      Native.call(:engine_migrate_plan, @handle, domain_handle(next_domain), Native.options(differences: differences))
    end

    # Switches the store to `next_domain`, live: builds its snapshots and
    # projection shadows while the old model keeps serving, then holds
    # writers off for the last catch-up and switches in one transaction.
    # Afterwards this engine runs `next_domain` (#domain gives it).
    #
    # @return [Hash] `{"models" => [{"model", "from", "to"}], "snapshots",
    #   "projections", "events", "caught_up", "position", "millis",
    #   "pause_millis"}`: "pause_millis" how long writers were held off,
    #   "caught_up" the events written during the build that the pause folded
    # @raise [Error] of the plan's first blocking item (UnknownEventError for
    #   a stored event the new model cannot read, or a failing stream's own
    #   code) when the plan is not ok; nothing is switched then
    def migrate_apply(next_domain)
      Native.call(:engine_migrate_apply, @handle, domain_handle(next_domain), nil)
    end

    # Every model version registered in the store: `{"model", "revision",
    # "fingerprint", "active", "registered_at", "activated_at"}` each
    # ("activated_at" nil for one never active).
    #
    # @return [Array<Hash>]
    def model_versions = Native.call(:engine_model_versions, @handle)

    # Closes the store; closing twice is fine.
    def close
      Native.call(:engine_close, @handle)
      nil
    end

    def inspect = "#<Eventfold::Engine>"

    private

    def domain_handle(value)
      raise Error.of("invalid_json", "`domain` must be an Eventfold::Domain, not #{value.class}") unless value.is_a?(Domain)

      value.handle
    end

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
