package dev.eventfold

import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.ValueSource
import java.nio.file.Files
import java.nio.file.Path
import java.time.Duration
import java.util.Collections
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit

/**
 * The read side through the JVM skin: tables against the pure `project`
 * (the oracle), async projections with `waitFor`, and subscriptions with
 * Kotlin's own iteration. Nothing waits on time: `waitFor` and poll
 * timeouts are upper bounds only, and threads meet on latches.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReadSideTest {
    private val text = Files.readString(TODOS_MODEL)
    private val inline = Domain.compile("todos.model", text)

    /** The same model with the board projection run async. */
    private val async = Domain.compile("todos.model", text.replace("projection todo-board inline", "projection todo-board async"))

    /** A projection that fails on the second `added` of an id: `insert` of a key that is there. */
    private val poison =
        Domain.compile(
            "poison.model",
            """
            model Things {
              state { n: int }
              command add(id: string) { emit added(id) }
              event added(id: string) { set n = n + 1 }
            }
            table things { key id: string }
            projection thing-rows async {
              on Things.added { insert things(id) }
            }
            """.trimIndent(),
        )

    @TempDir
    lateinit var tmp: Path

    /** Generous bounds, never waited out when things work. */
    private val bound = Duration.ofSeconds(60)

    @AfterAll
    fun close() {
        inline.close()
        async.close()
        poison.close()
    }

    private fun open(store: String, domain: Domain = inline, options: EngineOptions = EngineOptions()): Engine =
        Engine.open(if (store == "sqlite") "sqlite:${tmp.resolve("rs-${System.nanoTime()}.db")}" else "memory:", domain, options)

    private fun command(type: String, vararg data: Pair<String, Any?>) = mapOf("type" to type, "data" to mapOf(*data))

    /** Commands over two lists that touch every handler of the board; returns the last result. */
    private fun work(engine: Engine): Executed {
        engine.execute("Todos", "groceries", command("create-new", "id" to "milk", "text" to "Buy milk"))
        engine.execute("Todos", "groceries", command("create-new", "id" to "eggs", "text" to "Eggs"))
        engine.execute("Todos", "groceries", command("create-complete", "id" to "salt", "text" to "Salt"))
        engine.execute("Todos", "chores", command("create-new", "id" to "sweep", "text" to "Sweep"))
        engine.execute("Todos", "groceries", command("change-text", "id" to "eggs", "new_text" to "Twelve eggs"))
        engine.execute("Todos", "groceries", command("change-completed", "id" to "milk", "completed" to true))
        engine.execute("Todos", "chores", command("create-new", "id" to "dust", "text" to "Dust"))
        engine.execute("Todos", "chores", command("delete", "id" to "sweep"))
        engine.execute("Todos", "groceries", command("clear-done"))
        return engine.execute("Todos", "chores", command("create-complete", "id" to "mop", "text" to "Mop"))
    }

    /** The oracle: `project` over every stored event. */
    private fun expected(domain: Domain, engine: Engine, projection: String = "todo-board", table: String = "todo_rows") =
        domain.project(projection, engine.readAll().map { it.toProjectInput() }).getValue(table)

    @ParameterizedTest(name = "on {0}")
    @ValueSource(strings = ["memory", "sqlite"])
    fun `inline rows equal project over the stored events`(store: String) {
        open(store).use { engine ->
            val last = work(engine)
            val rows = engine.rows("todo_rows")
            assertEquals(expected(inline, engine), rows)
            assertEquals(listOf("chores/dust", "chores/mop", "groceries/eggs"), rows.map { "${it["list_id"]}/${it["id"]}" })
            assertEquals(listOf("list_id", "id", "text", "completed", "done_at"), rows.first().keys.toList())
            assertEquals(engine.readAll().last().position, last.position)
            // Inline: reached at once.
            assertTrue(engine.waitFor(last.position, "todo-board", Duration.ZERO))
            val board = engine.projections().single()
            assertEquals(listOf("todo-board", "inline", "live"), listOf(board.name, board.mode, board.status))
            assertEquals(0L, board.lag)
            assertNull(board.error)
        }
    }

    @ParameterizedTest(name = "on {0}")
    @ValueSource(strings = ["memory", "sqlite"])
    fun `an async projection reaches project after waitFor`(store: String) {
        open(store, async).use { engine ->
            val last = work(engine)
            assertTrue(engine.waitFor(last.position, timeout = bound))
            assertEquals(expected(async, engine), engine.rows("todo_rows"))
            val board = engine.projections().single()
            assertEquals("async", board.mode)
            assertTrue(board.position >= last.position, board.toString())
            // More writes, and the named projection catches up again.
            val more = engine.execute("Todos", "chores", command("change-text", "id" to "dust", "new_text" to "Dust the shelves"))
            assertTrue(engine.waitFor(more.position, "todo-board", bound))
            assertEquals(expected(async, engine), engine.rows("todo_rows"))
            assertThrows<EventfoldException.UnknownProjection> { engine.waitFor(more.position, "no-such", bound) }
        }
    }

    @Test
    fun `an engine that runs no projections only reads them`() {
        val file = tmp.resolve("shared.db")
        Engine.open("sqlite:$file", async, EngineOptions(runProjections = false)).use { writer ->
            val last = work(writer)
            // No runner: nothing can reach the position, so the wait ends at its (zero) timeout.
            assertFalse(writer.waitFor(last.position, timeout = Duration.ZERO))
            assertEquals(emptyList<Any>(), writer.rows("todo_rows"))
            // A second engine on the file runs it.
            Engine.open("sqlite:$file", async).use { runner ->
                assertTrue(runner.waitFor(last.position, timeout = bound))
                assertEquals(expected(async, runner), runner.rows("todo_rows"))
            }
            assertEquals(expected(async, writer), writer.rows("todo_rows"))
        }
    }

    @ParameterizedTest(name = "on {0}")
    @ValueSource(strings = ["memory", "sqlite"])
    fun `key after and limit page through the rows`(store: String) {
        open(store).use { engine ->
            work(engine)
            val all = engine.rows("todo_rows")
            assertEquals(all.filter { it["list_id"] == "chores" }, engine.rows("todo_rows", key = listOf("chores")))
            assertEquals(listOf("Dust"), engine.rows("todo_rows", key = listOf("chores", "dust")).map { it["text"] })
            assertEquals(emptyList<Any>(), engine.rows("todo_rows", key = listOf("nowhere")))
            assertEquals(all.take(2), engine.rows("todo_rows", limit = 2))
            assertEquals(all.drop(1), engine.rows("todo_rows", after = listOf("chores", "dust")))
            assertEquals(all.drop(1).take(1), engine.rows("todo_rows", after = listOf("chores", "dust"), limit = 1))
            // JSON face: a lone scalar key is a one-value prefix.
            assertEquals(Json.write(engine.rows("todo_rows", key = listOf("chores"))), engine.rowsJson("todo_rows", """{"key":"chores"}"""))

            val unknown = assertThrows<EventfoldException.UnknownTable> { engine.rows("todo_row") }
            assertEquals("unknown_table", unknown.code)
            assertTrue(unknown.message.contains("todo_row"), unknown.message)
            val bad = assertThrows<EventfoldException.InvalidCommand> { engine.rows("todo_rows", key = listOf("chores", 5)) }
            assertEquals("options.key[1]", bad.path)
            assertThrows<EventfoldException.InvalidCommand> { engine.rows("todo_rows", limit = -1) }
        }
    }

    @ParameterizedTest(name = "on {0}")
    @ValueSource(strings = ["memory", "sqlite"])
    fun `rebuild gives the same rows`(store: String) {
        open(store, async).use { engine ->
            val last = work(engine)
            assertTrue(engine.waitFor(last.position, timeout = bound))
            val before = engine.rows("todo_rows")
            val rebuilt = engine.rebuild("todo-board")
            assertEquals("todo-board", rebuilt.projection)
            assertTrue(rebuilt.position >= last.position, rebuilt.toString())
            assertEquals(engine.readAll().size.toLong(), rebuilt.events)
            assertEquals(before, engine.rows("todo_rows"))
            assertEquals(expected(async, engine), engine.rows("todo_rows"))
            assertThrows<EventfoldException.UnknownProjection> { engine.rebuild("nope") }
        }
    }

    @Test
    fun `the position of an execute`() {
        open("memory").use { engine ->
            val first = engine.execute("Todos", "l", command("create-new", "id" to "a", "text" to "A"))
            assertEquals(first.events.single().position, first.position)
            // Nothing to emit: position 0.
            assertEquals(0L, engine.execute("Todos", "l", command("change-completed", "id" to "a", "completed" to false)).position)
            assertTrue(engine.executeJson("Todos", "l", """{"type":"create-new","data":{"id":"b","text":"B"}}""").contains("\"position\":"))
        }
    }

    @ParameterizedTest(name = "on {0}")
    @ValueSource(strings = ["stop", "park"])
    fun `a poison event stops or is parked`(policy: String) {
        val options = EngineOptions(onProjectionError = if (policy == "park") OnProjectionError.PARK else OnProjectionError.STOP)
        open("sqlite", poison, options).use { engine ->
            engine.execute("Things", "1", mapOf("type" to "add", "data" to mapOf("id" to "x")))
            val bad = engine.execute("Things", "2", mapOf("type" to "add", "data" to mapOf("id" to "x")))
            val after = engine.execute("Things", "3", mapOf("type" to "add", "data" to mapOf("id" to "y")))
            if (policy == "park") {
                assertTrue(engine.waitFor(after.position, timeout = bound))
                assertEquals(listOf("x", "y"), engine.rows("things").map { it["id"] })
                val parked = engine.parked("thing-rows").single()
                assertEquals(bad.position, parked.position)
                assertEquals(bad.position, parked.event.position)
                assertEquals("thing-rows", parked.name)
                assertEquals(1L, engine.projections().single().parked)
            } else {
                // Stopped below the position: the stored error, at once.
                val e = assertThrows<EventfoldException.EvaluationError> { engine.waitFor(after.position, timeout = bound) }
                assertTrue(e.message.contains("thing-rows"), e.message)
                val info = engine.projections().single()
                assertEquals("stopped", info.status)
                assertEquals("evaluation_error", info.error?.code)
                assertEquals(bad.position, info.error?.position)
                assertEquals(listOf("x"), engine.rows("things").map { it["id"] })
            }
        }
    }

    // Subscriptions.

    @ParameterizedTest(name = "on {0}")
    @ValueSource(strings = ["memory", "sqlite"])
    fun `a Sequence acks as it goes and a new consumer resumes at the checkpoint`(store: String) {
        open(store).use { engine ->
            work(engine)
            val all = engine.readAll().map { it.position }
            val first = engine.subscribe("mailer").use { sub -> sub.asSequence().take(3).map { it.position }.toList() }
            assertEquals(all.take(3), first)
            // take(3) asked for no fourth: the third is not acked.
            val info = engine.subscriptions().single()
            assertEquals("mailer", info.name)
            assertEquals(all[1], info.checkpoint)
            assertEquals(all.size - 2L, info.lag)
            assertFalse(info.active)

            val rest = engine.subscribe("mailer").use { sub -> sub.asSequence().take(all.size - 2).map { it.position }.toList() }
            // At least once, never a skipped position: the third again, then the rest.
            assertEquals(all.drop(2), rest)
        }
    }

    @ParameterizedTest(name = "on {0}")
    @ValueSource(strings = ["memory", "sqlite"])
    fun `a for loop wakes on new events and ends when closed from another thread`(store: String) {
        open(store).use { engine ->
            engine.execute("Todos", "1", command("create-new", "id" to "a", "text" to "A"))
            val sub = engine.subscribe("live", types = listOf("created"))
            val seen = Collections.synchronizedList(mutableListOf<StoredEvent>())
            val gotOne = CountDownLatch(1)
            val gotThree = CountDownLatch(1)
            var failure: Throwable? = null
            val consumer =
                Thread {
                    try {
                        for (event in sub) {
                            seen += event
                            if (seen.size == 1) gotOne.countDown()
                            if (seen.size == 3) gotThree.countDown()
                        }
                    } catch (e: Throwable) {
                        failure = e
                    }
                }
            consumer.start()
            assertTrue(gotOne.await(bound.toSeconds(), TimeUnit.SECONDS))
            // Written while the loop waits: it wakes for them. The filter keeps out the text change.
            engine.execute("Todos", "1", command("change-text", "id" to "a", "new_text" to "AA"))
            engine.execute("Todos", "1", command("create-new", "id" to "b", "text" to "B"))
            engine.execute("Todos", "2", command("create-complete", "id" to "c", "text" to "C"))
            assertTrue(gotThree.await(bound.toSeconds(), TimeUnit.SECONDS))
            sub.close()
            consumer.join(bound.toMillis())
            assertFalse(consumer.isAlive, "the loop ended")
            assertNull(failure)
            assertEquals(listOf("a", "b", "c"), seen.map { it.data["id"] })
            assertTrue(seen.all { it.type == "created" && it.schema == 1L })
            assertTrue(sub.isClosed)
            sub.close()
            assertThrows<EventfoldException.StoreError> { sub.poll() }
            assertFalse(sub.iterator().hasNext())
        }
    }

    @ParameterizedTest(name = "on {0}")
    @ValueSource(strings = ["memory", "sqlite"])
    fun `poll ack park and from end`(store: String) {
        open(store).use { engine ->
            work(engine)
            val all = engine.readAll()
            engine.subscribe("by-hand").use { sub ->
                assertEquals("by-hand", sub.name)
                val got = sub.poll(max = 2, timeout = bound)
                assertEquals(all.take(2), got)
                sub.park(got[0].position, "no such address")
                sub.ack(got[1].position)
                // The handle goes on after what it delivered, acked or not.
                assertEquals(all[2].position, sub.poll(1, bound).single().position)
            }
            val parked = engine.parked("by-hand").single()
            assertEquals(listOf("by-hand", "no such address"), listOf(parked.name, parked.reason))
            assertEquals(all[0], parked.event)
            assertEquals(all[0].position, parked.position)
            assertEquals(1L, engine.subscriptions().single { it.name == "by-hand" }.parked)
            assertEquals(emptyList<ParkedEvent>(), engine.parked("nobody"))
            assertEquals("[]", engine.parkedJson("nobody"))

            engine.subscribe("late", from = "end").use { sub ->
                assertEquals(emptyList<StoredEvent>(), sub.poll(10, Duration.ZERO))
                val next = engine.execute("Todos", "late", command("create-new", "id" to "z", "text" to "Z"))
                assertEquals(listOf(next.position), sub.poll(10, bound).map { it.position })
            }
            engine.subscribe("middle", from = all[4].position).use { sub ->
                assertEquals(all[4].position, sub.poll(1, bound).single().position)
            }
            engine.subscribe("lists", models = listOf("Todos"), types = listOf("deleted")).use { sub ->
                assertEquals(listOf("deleted"), sub.poll(100, bound).map { it.type })
            }
            val lists = engine.subscriptions().single { it.name == "lists" }
            assertEquals(listOf("Todos"), lists.models)
            assertEquals(listOf("deleted"), lists.types)

            assertThrows<EventfoldException.InvalidCommand> { engine.subscribe("bad", from = "middle") }
            assertThrows<EventfoldException.InvalidCommand> { engine.subscribe("bad", from = -1L) }
            engine.subscribe("neg").use { sub -> assertThrows<EventfoldException.InvalidCommand> { sub.ack(-1) } }
        }
    }

    @Test
    fun `one consumer per name`() {
        open("sqlite").use { engine ->
            val first = engine.execute("Todos", "1", command("create-new", "id" to "a", "text" to "A"))
            val one = engine.subscribe("solo")
            assertEquals(listOf(first.position), one.poll(10, bound).map { it.position })
            val two = engine.subscribe("solo")
            // The first holds the name: the second gets nothing, at once.
            assertEquals(emptyList<StoredEvent>(), two.poll(10, Duration.ZERO))
            assertTrue(engine.subscriptions().single().active)
            one.close()
            // Nothing was acked: the second gets the event again.
            assertEquals(listOf(first.position), two.poll(10, bound).map { it.position })
            two.close()
        }
    }

    @Test
    fun `closing the engine ends its subscriptions`() {
        val engine = open("memory")
        engine.execute("Todos", "1", command("create-new", "id" to "a", "text" to "A"))
        val sub = engine.subscribe("s")
        val events = sub.iterator()
        assertTrue(events.hasNext())
        events.next()
        engine.close()
        assertFalse(events.hasNext())
        assertTrue(sub.isClosed)
        assertThrows<NoSuchElementException> { events.next() }
    }
}

/** A stored event as `project` takes it (MODEL-LANGUAGE §13, shared/scenarios/README.md). */
internal fun StoredEvent.toProjectInput(): Map<String, Any?> {
    val (model, id) = stream.split("-", limit = 2)
    return mapOf(
        "model" to model, "id" to id, "type" to type, "schema" to schema, "data" to data,
        "version" to version, "position" to position, "recorded_at" to metadata["recorded_at"],
        "metadata" to metadata.filterValues { it is String } - "recorded_at", "event_id" to this.id,
    )
}
