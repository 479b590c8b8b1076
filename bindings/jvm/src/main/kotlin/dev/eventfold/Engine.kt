package dev.eventfold

import dev.eventfold.ffi.FfiEngine
import dev.eventfold.ffi.FfiExecute
import dev.eventfold.ffi.FfiStreamQuery
import java.time.Duration
import java.time.Instant
import java.util.concurrent.CompletableFuture
import java.util.concurrent.Executor

/**
 * A [Domain] over an event store: executes commands against streams
 * (`Model-id`), appends their events atomically, and reads them back.
 *
 * Safe to share between threads: open one per store and process, and call it
 * from as many threads as you like; commands on one stream are serialised
 * without lost updates. Calls block while they touch the store.
 *
 * [close] closes the store; after it every call throws
 * [EventfoldException.StoreError]. Use it in `use { }` or try-with-resources.
 */
class Engine private constructor(private val ffi: FfiEngine, executor: Executor?) : AutoCloseable {
    /** Where the `...Async` and [suspending] verbs run: [EngineOptions.executor], or a shared pool of daemon threads. */
    internal val executor: Executor = executor ?: Background.pool

    /**
     * The store-touching verbs as Kotlin `suspend` functions: `engine.suspending.execute(...)`.
     * Each runs on the engine's executor and suspends the caller meanwhile,
     * so a coroutine on `Dispatchers.Default` or a UI thread never blocks.
     */
    val suspending: SuspendingEngine by lazy { SuspendingEngine(this) }

    companion object {
        /**
         * Opens an engine. [store] is `memory:`, `sqlite:PATH` (append
         * `?synchronous=normal` to trade the durability of the last
         * transactions for speed) or
         * `postgres://USER:PASSWORD@HOST:PORT/DB?schema=NAME` (docs/postgres.md).
         */
        @JvmStatic
        @JvmOverloads
        fun open(store: String, domain: Domain, options: EngineOptions = EngineOptions()): Engine =
            native { Engine(FfiEngine.open(store, domain.ffi, options.toJson()), options.executor) }
    }

    /**
     * Loads the stream `model-id`, proposes the command (`{type, data, id?,
     * metadata?}`) and appends its events; or throws
     * [EventfoldException.Rejected], [EventfoldException.VersionConflict], ...
     */
    @JvmOverloads
    fun execute(model: String, id: String, command: Map<String, Any?>, options: ExecuteOptions = ExecuteOptions()): Executed =
        Executed.from(Json.readMap(executeJson(model, id, Json.write(command), options.toJson())))

    /**
     * [execute] over JSON text. [options]: `{"expected_version", "command_id",
     * "metadata", "now", "correlation_id", "causation_id"}`, all optional.
     */
    @JvmOverloads
    fun executeJson(model: String, id: String, command: String, options: String? = null): String =
        native { ffi.executeJson(FfiExecute(model, id, command, options)) }

    /** Many commands in one transaction: all of them are appended, or none. */
    fun executeMany(requests: List<ExecuteRequest>): List<Executed> =
        Json.readMaps(executeManyJson(Json.write(requests.map { it.toMap() }))).map(Executed::from)

    /** `[{"model", "id", "command", "options"?}, ...]` in, an array of `execute` results out. */
    fun executeManyJson(requests: String): String = native { ffi.executeManyJson(requests) }

    /** The current state of a stream, with its version (0: no events yet). */
    fun load(model: String, id: String): Loaded = Loaded.from(Json.readMap(loadJson(model, id)))

    fun loadJson(model: String, id: String): String = native { ffi.loadJson(model, id) }

    /** A query of the model on the current state of a stream. */
    @JvmOverloads
    fun query(model: String, id: String, name: String, args: Map<String, Any?>? = null): Any? =
        Json.read(queryJson(model, id, name, args?.let(Json::write)))

    @JvmOverloads
    fun queryJson(model: String, id: String, name: String, args: String? = null): String =
        native { ffi.queryJson(FfiStreamQuery(model, id, name, args)) }

    /**
     * The events of one stream, in order, from [fromVersion] (1-based),
     * each upcast to its current version. [raw]: the events exactly as
     * stored instead, one per stored row, with the `type`, `schema` and
     * `data` they were written with.
     */
    @JvmOverloads
    fun readStream(stream: String, fromVersion: Long? = null, limit: Int? = null, raw: Boolean = false): List<StoredEvent> =
        Json.readMaps(readStreamJson(stream, options("from_version" to fromVersion, "limit" to limit, "raw" to raw.takeIf { it })))
            .map(StoredEvent::from)

    /** [options]: `{"from_version", "limit", "raw"}`. */
    @JvmOverloads
    fun readStreamJson(stream: String, options: String? = null): String =
        native { ffi.readStreamJson(stream, options) }

    /** Every event of the store in global order, from [fromPosition], upcast (or as stored with [raw], as [readStream]). */
    @JvmOverloads
    fun readAll(fromPosition: Long? = null, limit: Int? = null, raw: Boolean = false): List<StoredEvent> =
        Json.readMaps(readAllJson(options("from_position" to fromPosition, "limit" to limit, "raw" to raw.takeIf { it })))
            .map(StoredEvent::from)

    /** [options]: `{"from_position", "limit", "models", "types", "raw"}`. */
    @JvmOverloads
    fun readAllJson(options: String? = null): String = native { ffi.readAllJson(options) }

    /** The streams with their versions, of one model or of all. */
    @JvmOverloads
    fun streams(model: String? = null): List<StreamInfo> =
        Json.readMaps(streamsJson(options("model" to model))).map { StreamInfo(it.string("stream"), it.long("version")) }

    /** [options]: `{"model"}`. */
    @JvmOverloads
    fun streamsJson(options: String? = null): String = native { ffi.streamsJson(options) }

    // The read side: tables, projections and subscriptions.

    /**
     * Rows of a projection's [table], in key order, each a map of every
     * column in declared order. [key]: a prefix of the key values, in key
     * order (empty: every row); [after]: a whole key, for the rows after it
     * (the next page); [limit]: at most that many rows.
     * [EventfoldException.UnknownTable] when the domain has no such table.
     */
    @JvmOverloads
    fun rows(table: String, key: List<Any?> = emptyList(), after: List<Any?>? = null, limit: Int? = null): List<Map<String, Any?>> =
        Json.readMaps(rowsJson(table, options("key" to key.takeIf { it.isNotEmpty() }, "after" to after, "limit" to limit)))

    /** [rows] over JSON text; [options]: `{"key", "after", "limit"}`. */
    @JvmOverloads
    fun rowsJson(table: String, options: String? = null): String = native { ffi.rowsJson(table, options) }

    /** Every projection of the domain, in declaration order, with its status, position and lag. */
    fun projections(): List<ProjectionInfo> = Json.readMaps(projectionsJson()).map(ProjectionInfo::from)

    fun projectionsJson(): String = native { ffi.projectionsJson() }

    /**
     * Read-your-writes: blocks until every async projection (or the one
     * named) has folded every event up to [position] (what [execute]
     * returned, [Executed.position]), and returns `true`; `false` when
     * [timeout] passed first. A projection stopped below [position] throws
     * its stored error at once.
     */
    @JvmOverloads
    fun waitFor(position: Long, projection: String? = null, timeout: Duration = Duration.ofSeconds(30)): Boolean =
        waitForJson(position, options("projection" to projection, "timeout" to timeout.toMillis())) == "true"

    /** [waitFor] over JSON text; [options]: `{"projection", "timeout"}` (milliseconds). Returns `true` or `false`. */
    @JvmOverloads
    fun waitForJson(position: Long, options: String? = null): String = native { ffi.waitForJson(unsigned("position", position), options) }

    /**
     * Rebuilds a projection's tables from the first event, beside the live
     * ones (which keep answering reads), and swaps them in; blocks until done.
     */
    fun rebuild(projection: String): Rebuilt = Rebuilt.from(Json.readMap(rebuildJson(projection)))

    fun rebuildJson(projection: String): String = native { ffi.rebuildJson(projection) }

    /**
     * Subscribes to the store's events as [name]: delivered in global order,
     * upcast, at least once from a durable checkpoint. A new name starts at
     * [from] (`"start"` or `"end"`); a name with a checkpoint resumes there.
     * [models] and [types] filter (null: all), replacing the stored filters.
     * Iterate it (`for`, [Subscription.asSequence]) or [Subscription.poll] it;
     * close it when done. One consumer per name at a time: a second one gets
     * no events until the first closes.
     */
    @JvmOverloads
    fun subscribe(name: String, from: String = "start", models: List<String>? = null, types: List<String>? = null): Subscription =
        subscribeJson(name, options("from" to from, "models" to models, "types" to types))

    /** [subscribe] from a global position (inclusive), for a new name. */
    @JvmOverloads
    fun subscribe(name: String, from: Long, models: List<String>? = null, types: List<String>? = null): Subscription =
        subscribeJson(name, options("from" to from, "models" to models, "types" to types))

    /** [subscribe] over JSON text; [options]: `{"from", "models", "types"}`. */
    @JvmOverloads
    fun subscribeJson(name: String, options: String? = null): Subscription = native { Subscription(ffi.subscribeJson(name, options)) }

    /** Every subscription of the store: checkpoint, lag, parked count, filters, whether a consumer holds it. */
    fun subscriptions(): List<SubscriptionInfo> = Json.readMaps(subscriptionsJson()).map(SubscriptionInfo::from)

    fun subscriptionsJson(): String = native { ffi.subscriptionsJson() }

    /** The parked events of a subscription or projection, oldest first (none: an empty list). */
    fun parked(name: String): List<ParkedEvent> = Json.readMaps(parkedJson(name)).map(ParkedEvent::from)

    fun parkedJson(name: String): String = native { ffi.parkedJson(name) }

    // Model changes (MODEL-LANGUAGE §12): a new version of the domain, planned and applied live.

    /**
     * What switching this store to [next] would do, computed without
     * changing anything: the language's differences, every stored (type,
     * schema) [next] cannot read (blocking), a replay of every affected
     * stream with [next] (the streams that fail, and those whose state
     * differs, with the difference for the first [MigratePlanOptions.differences]),
     * and the projections that must rebuild. [MigrationPlan.ok] is false when
     * [migrateApply] would refuse it. Blocks while it replays.
     */
    @JvmOverloads
    fun migratePlan(next: Domain, options: MigratePlanOptions = MigratePlanOptions()): MigrationPlan =
        MigrationPlan.from(Json.readMap(migratePlanJson(next, options.toJson())))

    /** [migratePlan] over JSON text; [options]: `{"differences"}`. */
    @JvmOverloads
    fun migratePlanJson(next: Domain, options: String? = null): String =
        native { ffi.migratePlanJson(next.ffi, options) }

    /**
     * Switches the store to [next], live: builds its snapshots and
     * projection tables while this engine keeps serving, holds writers off
     * only for the last catch-up, and switches the active model in one
     * transaction. Afterwards this engine runs [next]; engines elsewhere
     * learn of it at their next append ([EngineOptions.onModelChange]).
     * A plan that is not ok is refused with the error of its first blocking
     * item ([EventfoldException.UnknownEvent] for a stored event [next]
     * cannot read, else the failing stream's own), and nothing is switched.
     */
    fun migrateApply(next: Domain): Migrated = Migrated.from(Json.readMap(migrateApplyJson(next)))

    /** [migrateApply] over JSON text; [options]: `{}` (none yet). */
    @JvmOverloads
    fun migrateApplyJson(next: Domain, options: String? = null): String =
        native { ffi.migrateApplyJson(next.ffi, options) }

    /** Every model version registered in the store, and which one of each model is active. */
    fun modelVersions(): List<ModelVersion> = Json.readMaps(modelVersionsJson()).map(ModelVersion::from)

    fun modelVersionsJson(): String = native { ffi.modelVersionsJson() }

    // The same verbs without blocking the caller: each runs on [executor] and
    // completes its future with the result, or exceptionally with the
    // EventfoldException (`get()` wraps it in an ExecutionException, `join()`
    // in a CompletionException; `exceptionally`/`handle` see it as the cause).

    /** [execute] on the engine's executor. */
    @JvmOverloads
    fun executeAsync(model: String, id: String, command: Map<String, Any?>, options: ExecuteOptions = ExecuteOptions()): CompletableFuture<Executed> =
        background { execute(model, id, command, options) }

    /** [executeMany] on the engine's executor. */
    fun executeManyAsync(requests: List<ExecuteRequest>): CompletableFuture<List<Executed>> = background { executeMany(requests) }

    /** [load] on the engine's executor. */
    fun loadAsync(model: String, id: String): CompletableFuture<Loaded> = background { load(model, id) }

    /** [query] on the engine's executor. */
    @JvmOverloads
    fun queryAsync(model: String, id: String, name: String, args: Map<String, Any?>? = null): CompletableFuture<Any?> =
        background { query(model, id, name, args) }

    /** [readStream] on the engine's executor. */
    @JvmOverloads
    fun readStreamAsync(stream: String, fromVersion: Long? = null, limit: Int? = null, raw: Boolean = false): CompletableFuture<List<StoredEvent>> =
        background { readStream(stream, fromVersion, limit, raw) }

    /** [readAll] on the engine's executor. */
    @JvmOverloads
    fun readAllAsync(fromPosition: Long? = null, limit: Int? = null, raw: Boolean = false): CompletableFuture<List<StoredEvent>> =
        background { readAll(fromPosition, limit, raw) }

    /** [streams] on the engine's executor. */
    @JvmOverloads
    fun streamsAsync(model: String? = null): CompletableFuture<List<StreamInfo>> = background { streams(model) }

    /** [rows] on the engine's executor. */
    @JvmOverloads
    fun rowsAsync(table: String, key: List<Any?> = emptyList(), after: List<Any?>? = null, limit: Int? = null): CompletableFuture<List<Map<String, Any?>>> =
        background { rows(table, key, after, limit) }

    /** [waitFor] on the engine's executor: the future completes when the projections have caught up (or [timeout] passed). */
    @JvmOverloads
    fun waitForAsync(position: Long, projection: String? = null, timeout: Duration = Duration.ofSeconds(30)): CompletableFuture<Boolean> =
        background { waitFor(position, projection, timeout) }

    /** [rebuild] on the engine's executor. */
    fun rebuildAsync(projection: String): CompletableFuture<Rebuilt> = background { rebuild(projection) }

    private fun <T> background(block: () -> T): CompletableFuture<T> = CompletableFuture.supplyAsync(block, executor)

    /** Closes the store (and the subscriptions opened on it). Twice is fine. */
    override fun close() {
        native { ffi.closeEngine() }
    }

    private fun options(vararg pairs: Pair<String, Any?>): String? {
        val given = pairs.filter { it.second != null }.toMap()
        return if (given.isEmpty()) null else Json.write(given)
    }
}

/** How an engine behaves; `null` keeps the default. Immutable: each `with...` returns a copy. */
data class EngineOptions @JvmOverloads constructor(
    /** Streams whose state is kept in memory (LRU); default 10,000. */
    val cacheCapacity: Long? = null,
    /** The fewest events between two snapshots of a stream (0: never), written in the background; default 100. */
    val snapshotEvery: Long? = null,
    /** No longer used (commands are decided inside the write, so none loses a race); kept so existing code compiles. */
    val maxAttempts: Int? = null,
    /**
     * Whether this engine runs the async projections (and rebuilds); default
     * true. `false`: it writes inline projections and reads, and another
     * process runs the async ones.
     */
    val runProjections: Boolean? = null,
    /** What an async projection does with an event its handler fails on; default [OnProjectionError.STOP]. */
    val onProjectionError: OnProjectionError? = null,
    /** What a command does when the store has switched to a newer model version; default [OnModelChange.FAIL]. */
    val onModelChange: OnModelChange? = null,
    /**
     * Where the `...Async` and `suspend` verbs run (a virtual-thread executor,
     * your server's pool, ...); default: a shared pool of daemon threads.
     */
    val executor: Executor? = null,
) {
    fun withCacheCapacity(streams: Long) = copy(cacheCapacity = streams)

    fun withSnapshotEvery(events: Long) = copy(snapshotEvery = events)

    fun withMaxAttempts(attempts: Int) = copy(maxAttempts = attempts)

    fun withRunProjections(run: Boolean) = copy(runProjections = run)

    fun withOnProjectionError(policy: OnProjectionError) = copy(onProjectionError = policy)

    fun withOnModelChange(policy: OnModelChange) = copy(onModelChange = policy)

    fun withExecutor(executor: Executor) = copy(executor = executor)

    /** The options as the core takes them (it checks them: a bad one is [EventfoldException.InvalidCommand]). */
    internal fun toJson(): String? {
        val given =
            mapOf(
                "cache_capacity" to cacheCapacity, "snapshot_every" to snapshotEvery, "max_attempts" to maxAttempts,
                "run_projections" to runProjections, "on_projection_error" to onProjectionError?.wire, "on_model_change" to onModelChange?.wire,
            ).filterValues { it != null }
        return if (given.isEmpty()) null else Json.write(given)
    }
}

/**
 * Options of one `execute`. Immutable: each `with...` returns a copy, so
 * from Java: `new ExecuteOptions().withExpectedVersion(3).withCommandId("c-1")`.
 */
data class ExecuteOptions @JvmOverloads constructor(
    /** The version the stream must be at; a mismatch is an immediate [EventfoldException.VersionConflict]. */
    val expectedVersion: Long? = null,
    /** Your id for the command: a repeated id on a stream returns the first result and appends nothing. */
    val commandId: String? = null,
    /** Merged over the command's own metadata, stored with each event. */
    val metadata: Map<String, Any?>? = null,
    /** The time of the command; default: the engine's clock. */
    val now: Instant? = null,
    val correlationId: String? = null,
    val causationId: String? = null,
) {
    fun withExpectedVersion(version: Long) = copy(expectedVersion = version)

    fun withCommandId(id: String) = copy(commandId = id)

    fun withMetadata(metadata: Map<String, Any?>) = copy(metadata = metadata)

    fun withNow(now: Instant) = copy(now = now)

    fun withCorrelationId(id: String) = copy(correlationId = id)

    fun withCausationId(id: String) = copy(causationId = id)

    internal fun toMap(): Map<String, Any?> =
        listOf(
            "expected_version" to expectedVersion,
            "command_id" to commandId,
            "metadata" to metadata,
            "now" to now?.toString(),
            "correlation_id" to correlationId,
            "causation_id" to causationId,
        ).filter { it.second != null }.toMap()

    internal fun toJson(): String? = toMap().takeIf { it.isNotEmpty() }?.let(Json::write)
}

/** One command of an [Engine.executeMany] batch. */
data class ExecuteRequest @JvmOverloads constructor(
    val model: String,
    val id: String,
    val command: Map<String, Any?>,
    val options: ExecuteOptions = ExecuteOptions(),
) {
    internal fun toMap(): Map<String, Any?> =
        mapOf("model" to model, "id" to id, "command" to command, "options" to options.toMap())
}

/** An event as stored. */
data class StoredEvent(
    /** A UUIDv7. */
    val id: String,
    /** `Model-id`. */
    val stream: String,
    /** 1-based, contiguous per stream. */
    val version: Long,
    /** Global, unique and increasing. */
    val position: Long,
    val type: String,
    val data: Map<String, Any?>,
    /** `recorded_at`, `command_id`, `correlation_id`, `causation_id`, and your keys. */
    val metadata: Map<String, Any?>,
    /** The version of the event's shape: the current one (reads upcast), or the stored one in a raw read. Last, so older code compiles. */
    val schema: Long = 1,
) {
    internal companion object {
        fun from(m: Map<String, Any?>) =
            StoredEvent(
                m.string("id"), m.string("stream"), m.long("version"), m.long("position"),
                m.string("type"), m.obj("data"), m.obj("metadata"), (m["schema"] as Number?)?.toLong() ?: 1,
            )
    }
}

/**
 * What [Engine.execute] returns: the stream, its version after the command,
 * the events appended, and the global [position] of the last one (0 when
 * none was appended; a repeated command id gives the first run's): the
 * position to give [Engine.waitFor].
 */
data class Executed(val stream: String, val version: Long, val events: List<StoredEvent>, val position: Long = 0) {
    internal companion object {
        @Suppress("UNCHECKED_CAST")
        fun from(m: Map<String, Any?>) =
            Executed(
                m.string("stream"),
                m.long("version"),
                (m["events"] as List<Map<String, Any?>>).map(StoredEvent::from),
                m.long("position"),
            )
    }
}

/** What [Engine.load] returns. */
data class Loaded(val state: Map<String, Any?>, val version: Long) {
    internal companion object {
        fun from(m: Map<String, Any?>) = Loaded(m.obj("state"), m.long("version"))
    }
}

data class StreamInfo(val stream: String, val version: Long)
