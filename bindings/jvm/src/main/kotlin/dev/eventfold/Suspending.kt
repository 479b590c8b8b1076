package dev.eventfold

import java.time.Duration
import java.util.concurrent.CompletableFuture
import java.util.concurrent.CompletionException
import java.util.concurrent.Executors
import java.util.concurrent.ThreadFactory
import java.util.concurrent.atomic.AtomicInteger
import kotlin.coroutines.resume
import kotlin.coroutines.resumeWithException
import kotlin.coroutines.suspendCoroutine

/**
 * An [Engine]'s store-touching verbs as `suspend` functions (`engine.suspending`):
 * each runs on the engine's executor ([EngineOptions.executor]) while the
 * calling coroutine is suspended, and throws the same [EventfoldException]s
 * as the blocking verb. Works with any coroutine library (kotlinx-coroutines'
 * `runBlocking`, `launch`, Ktor, ...): it needs only the Kotlin standard library.
 *
 * A call that has started runs to its end: cancelling the coroutine does not
 * undo an append (the engine's writes are atomic, so it is all or nothing).
 */
class SuspendingEngine internal constructor(private val engine: Engine) {
    suspend fun execute(model: String, id: String, command: Map<String, Any?>, options: ExecuteOptions = ExecuteOptions()): Executed =
        engine.executeAsync(model, id, command, options).awaitResult()

    suspend fun executeMany(requests: List<ExecuteRequest>): List<Executed> = engine.executeManyAsync(requests).awaitResult()

    suspend fun load(model: String, id: String): Loaded = engine.loadAsync(model, id).awaitResult()

    suspend fun query(model: String, id: String, name: String, args: Map<String, Any?>? = null): Any? =
        engine.queryAsync(model, id, name, args).awaitResult()

    suspend fun readStream(stream: String, fromVersion: Long? = null, limit: Int? = null, raw: Boolean = false): List<StoredEvent> =
        engine.readStreamAsync(stream, fromVersion, limit, raw).awaitResult()

    suspend fun readAll(fromPosition: Long? = null, limit: Int? = null, raw: Boolean = false): List<StoredEvent> =
        engine.readAllAsync(fromPosition, limit, raw).awaitResult()

    suspend fun streams(model: String? = null): List<StreamInfo> = engine.streamsAsync(model).awaitResult()

    suspend fun rows(table: String, key: List<Any?> = emptyList(), after: List<Any?>? = null, limit: Int? = null): List<Map<String, Any?>> =
        engine.rowsAsync(table, key, after, limit).awaitResult()

    suspend fun waitFor(position: Long, projection: String? = null, timeout: Duration = Duration.ofSeconds(30)): Boolean =
        engine.waitForAsync(position, projection, timeout).awaitResult()

    suspend fun rebuild(projection: String): Rebuilt = engine.rebuildAsync(projection).awaitResult()
}

/**
 * Suspends until the future completes; its failure is thrown as itself (the
 * [EventfoldException]), not wrapped in a [CompletionException]. For
 * generated code and callers holding a future of the engine's.
 */
suspend fun <T> CompletableFuture<T>.awaitResult(): T =
    suspendCoroutine { cont ->
        whenComplete { value, error ->
            if (error == null) {
                cont.resume(value)
            } else {
                cont.resumeWithException(if (error is CompletionException && error.cause != null) error.cause!! else error)
            }
        }
    }

/** The default executor of the async verbs: threads made as needed, reused, daemon (they never keep the JVM alive). */
internal object Background {
    private val count = AtomicInteger()
    val pool =
        Executors.newCachedThreadPool(
            ThreadFactory { r -> Thread(r, "eventfold-${count.incrementAndGet()}").apply { isDaemon = true } },
        )
}
