package dev.eventfold

import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.assertThrows
import java.util.concurrent.CompletableFuture
import java.util.concurrent.ExecutionException
import java.util.concurrent.Executor
import java.util.concurrent.LinkedBlockingQueue
import kotlin.coroutines.Continuation
import kotlin.coroutines.EmptyCoroutineContext
import kotlin.coroutines.startCoroutine

/**
 * The `...Async` (CompletableFuture) and `suspending` verbs. An executor that
 * only queues its tasks shows, with no clock, that the caller gets control
 * back before any work is done, and that the work runs on another thread.
 */
class AsyncTest {
    /** Holds tasks until [runOne] runs the next on the calling thread. */
    private class Held : Executor {
        val tasks = LinkedBlockingQueue<Runnable>()

        override fun execute(command: Runnable) {
            tasks.add(command)
        }

        /** Runs the next task on a new thread, and returns that thread's name. */
        fun runOneElsewhere(): String {
            val task = tasks.take()
            val t = Thread(task, "held-worker")
            t.start()
            t.join()
            return t.name
        }
    }

    private val domain = Domain.fromFiles(TODOS_MODEL)

    private fun createNew(id: String, text: String) = mapOf("type" to "create-new", "data" to mapOf("id" to id, "text" to text))

    @Test
    fun `a future returns before the work runs, and completes from another thread`() {
        val held = Held()
        Engine.open("memory:", domain, EngineOptions().withExecutor(held)).use { engine ->
            val future = engine.executeAsync("Todos", "k", createNew("a", "Buy milk"))
            // The caller has its future, and nothing ran: the task is still queued.
            assertFalse(future.isDone)
            assertEquals(1, held.tasks.size)
            assertEquals(0L, engine.load("Todos", "k").version)

            var ranOn: String? = null
            val seen = future.thenApply { ranOn = Thread.currentThread().name; it }
            assertEquals("held-worker", held.runOneElsewhere())
            val executed = seen.get()
            assertEquals("held-worker", ranOn)
            assertNotEquals(Thread.currentThread().name, ranOn)
            assertEquals(1L, executed.version)
            assertEquals("created", executed.events.single().type)

            val loaded = engine.loadAsync("Todos", "k")
            held.runOneElsewhere()
            assertEquals(1L, loaded.get().version)
        }
    }

    @Test
    fun `every store verb has its future, on the default pool`() {
        Engine.open("memory:", domain).use { engine ->
            val executed = engine.executeAsync("Todos", "k", createNew("a", "Buy milk")).get()
            assertEquals(1L, executed.version)
            assertEquals(1L, engine.loadAsync("Todos", "k").get().version)
            assertEquals(1L, engine.queryAsync("Todos", "k", "remaining").get())
            assertEquals(true, engine.queryAsync("Todos", "k", "has-todo", mapOf("id" to "a")).get())
            assertEquals(1, engine.readStreamAsync("Todos-k").get().size)
            assertEquals(1, engine.readAllAsync().get().size)
            assertEquals(listOf(StreamInfo("Todos-k", 1)), engine.streamsAsync("Todos").get())
            assertEquals("Buy milk", engine.rowsAsync("todo_rows").get().single()["text"])
            assertTrue(engine.waitForAsync(executed.position).get())
            val many = engine.executeManyAsync(listOf(ExecuteRequest("Todos", "j", createNew("b", "x")))).get()
            assertEquals(1, many.size)
            assertEquals("todo-board", engine.rebuildAsync("todo-board").get().projection)
        }
    }

    @Test
    fun `a rejection completes the future exceptionally with the EventfoldException`() {
        Engine.open("memory:", domain).use { engine ->
            engine.execute("Todos", "k", createNew("a", "Buy milk"))
            val future = engine.executeAsync("Todos", "k", createNew("a", "again"))
            val e = assertThrows<ExecutionException> { future.get() }
            val rejected = e.cause as EventfoldException.Rejected
            assertEquals("duplicate", rejected.reason)
            assertEquals("duplicate", future.handle { _, err -> (err.cause as EventfoldException.Rejected).reason }.get())
        }
    }

    /** Starts [block] as a coroutine on this thread; its result lands in the future. */
    private fun <T> launch(block: suspend () -> T): CompletableFuture<T> {
        val result = CompletableFuture<T>()
        block.startCoroutine(Continuation(EmptyCoroutineContext) { r -> r.fold(result::complete, result::completeExceptionally) })
        return result
    }

    @Test
    fun `a suspend verb suspends the caller instead of blocking it`() {
        val held = Held()
        Engine.open("memory:", domain, EngineOptions().withExecutor(held)).use { engine ->
            val result = launch {
                val executed = engine.suspending.execute("Todos", "k", createNew("a", "Buy milk"))
                // Resumed on the thread that did the work, not the launching one.
                Thread.currentThread().name to executed
            }
            // startCoroutine returned: the coroutine is suspended, its work still queued.
            assertFalse(result.isDone)
            assertEquals(1, held.tasks.size)
            held.runOneElsewhere()
            val (thread, executed) = result.get()
            assertEquals("held-worker", thread)
            assertEquals(1L, executed.version)
        }
    }

    @Test
    fun `suspend verbs return the typed results and throw the exception itself`() {
        Engine.open("memory:", domain).use { engine ->
            val s = engine.suspending
            val outcome = launch {
                s.execute("Todos", "k", createNew("a", "Buy milk"))
                val loaded = s.load("Todos", "k")
                val remaining = s.query("Todos", "k", "remaining")
                val rows = s.rows("todo_rows", listOf("k"))
                val events = s.readStream("Todos-k")
                val rejected = try {
                    s.execute("Todos", "k", createNew("a", "again"))
                    null
                } catch (e: EventfoldException.Rejected) {
                    e
                }
                listOf(loaded.version, remaining, rows.size, events.size, rejected?.reason, s.streams().size, s.readAll().size)
            }.get()
            assertEquals(listOf(1L, 1L, 1, 1, "duplicate", 1, 1), outcome)
            val missing = launch { s.load("NoSuchModel", "x") }
            val e = assertThrows<ExecutionException> { missing.get() }
            assertTrue(e.cause is EventfoldException.UnknownModel, e.cause.toString())
        }
    }
}
