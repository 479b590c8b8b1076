package dev.eventfold

import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertNotNull
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.ValueSource
import java.nio.file.Path
import java.time.Instant
import java.util.concurrent.Callable
import java.util.concurrent.Executors

/** The engine on both stores: every test runs on `memory:` and on a fresh SQLite file. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EngineTest {
    private val domain = Domain.fromFiles(TODOS_MODEL)

    @TempDir
    lateinit var tmp: Path

    @AfterAll
    fun close() = domain.close()

    private fun open(store: String, options: EngineOptions = EngineOptions()): Engine =
        Engine.open(if (store == "sqlite") "sqlite:${tmp.resolve("events-${System.nanoTime()}.db")}" else "memory:", domain, options)

    private fun create(id: String, text: String = "text of $id") =
        mapOf("type" to "create-new", "data" to mapOf("id" to id, "text" to text))

    @ParameterizedTest(name = "on {0}")
    @ValueSource(strings = ["memory", "sqlite"])
    fun `execute load query and read`(store: String) {
        open(store).use { engine ->
            val done = engine.execute("Todos", "list-1", create("a", "Buy milk"), ExecuteOptions().withMetadata(mapOf("user" to "ada")))
            assertEquals("Todos-list-1", done.stream)
            assertEquals(1L, done.version)
            val event = done.events.single()
            assertEquals("created", event.type)
            assertEquals(mapOf("id" to "a", "text" to "Buy milk", "completed" to false), event.data)
            assertEquals(1L, event.version)
            assertEquals(36, event.id.length)
            assertEquals("ada", event.metadata["user"])
            assertNotNull(event.metadata["recorded_at"])

            engine.execute("Todos", "list-1", create("b"))
            engine.execute("Todos", "list-2", create("c"))
            val loaded = engine.load("Todos", "list-1")
            assertEquals(2L, loaded.version)
            @Suppress("UNCHECKED_CAST")
            assertEquals(setOf("a", "b"), (loaded.state["todos"] as Map<String, Any?>).keys)
            assertEquals(2L, engine.query("Todos", "list-1", "remaining"))
            assertEquals(true, engine.query("Todos", "list-1", "has-todo", mapOf("id" to "b")))

            assertEquals(listOf(1L, 2L), engine.readStream("Todos-list-1").map { it.version })
            assertEquals(listOf(2L), engine.readStream("Todos-list-1", fromVersion = 2).map { it.version })
            val all = engine.readAll()
            assertEquals(3, all.size)
            assertEquals(all.map { it.position }.sorted(), all.map { it.position })
            assertEquals(1, engine.readAll(fromPosition = all[1].position, limit = 1).size)
            assertEquals(
                listOf(StreamInfo("Todos-list-1", 2), StreamInfo("Todos-list-2", 1)),
                engine.streams("Todos").sortedBy { it.stream },
            )
            assertEquals(Loaded(domain.initialState("Todos"), 0), engine.load("Todos", "empty"))
        }
    }

    @ParameterizedTest(name = "on {0}")
    @ValueSource(strings = ["memory", "sqlite"])
    fun `the JSON face`(store: String) {
        open(store).use { engine ->
            val out = engine.executeJson("Todos", "j", """{"type":"create-new","data":{"id":"a","text":"x"}}""", """{"command_id":"c-1"}""")
            assertTrue(out.startsWith("""{"stream":"Todos-j","version":1,"position":1,"events":["""), out)
            assertEquals("""{"state":{"todos":{"a":{"id":"a","text":"x","completed":false}}},"version":1}""", engine.loadJson("Todos", "j"))
            assertEquals("1", engine.queryJson("Todos", "j", "remaining"))
            assertTrue(engine.readStreamJson("Todos-j", """{"from_version":1}""").contains("\"command_id\":\"c-1\""))
            assertEquals("""[{"stream":"Todos-j","version":1}]""", engine.streamsJson())
            assertThrows<EventfoldException.InvalidCommand> { engine.executeJson("Todos", "j", """{"type":"delete","data":{"id":"a"}}""", """{"nope":1}""") }
        }
    }

    @ParameterizedTest(name = "on {0}")
    @ValueSource(strings = ["memory", "sqlite"])
    fun `rejections conflicts and idempotent retries`(store: String) {
        open(store).use { engine ->
            engine.execute("Todos", "1", create("a"))
            val rejected = assertThrows<EventfoldException.Rejected> { engine.execute("Todos", "1", create("a")) }
            assertEquals("duplicate", rejected.reason)

            val conflict =
                assertThrows<EventfoldException.VersionConflict> {
                    engine.execute("Todos", "1", create("b"), ExecuteOptions(expectedVersion = 5))
                }
            assertEquals(5L, conflict.expected)
            assertEquals(1L, conflict.actual)
            engine.execute("Todos", "1", create("b"), ExecuteOptions(expectedVersion = 1))

            val options = ExecuteOptions().withCommandId("cmd-42").withNow(Instant.parse("2026-11-28T12:00:00Z"))
            val first = engine.execute("Todos", "1", create("c"), options)
            val again = engine.execute("Todos", "1", create("c"), options)
            assertEquals(first, again)
            assertEquals(3L, engine.load("Todos", "1").version)
        }
    }

    @ParameterizedTest(name = "on {0}")
    @ValueSource(strings = ["memory", "sqlite"])
    fun `executeMany appends all or nothing`(store: String) {
        open(store).use { engine ->
            val done = engine.executeMany(listOf(ExecuteRequest("Todos", "m", create("a")), ExecuteRequest("Todos", "n", create("b"))))
            assertEquals(listOf("Todos-m", "Todos-n"), done.map { it.stream })
            assertThrows<EventfoldException.Rejected> {
                engine.executeMany(listOf(ExecuteRequest("Todos", "m", create("c")), ExecuteRequest("Todos", "n", create("b"))))
            }
            assertEquals(2, engine.readAll().size)
        }
    }

    @ParameterizedTest(name = "on {0}")
    @ValueSource(strings = ["memory", "sqlite"])
    fun `8 threads on one stream lose no update`(store: String) {
        // A small retry budget would make some commands lose; give them room.
        open(store, EngineOptions().withMaxAttempts(1000)).use { engine ->
            val pool = Executors.newFixedThreadPool(8)
            try {
                val tasks = (1..8).map { t -> Callable { repeat(25) { i -> engine.execute("Todos", "hot", create("t$t-$i")) } } }
                pool.invokeAll(tasks).forEach { it.get() }
            } finally {
                pool.shutdown()
            }
            val events = engine.readStream("Todos-hot")
            assertEquals((1L..200L).toList(), events.map { it.version })
            assertEquals(200, events.map { it.data["id"] }.toSet().size)
            assertEquals(200L, engine.query("Todos", "hot", "remaining"))
        }
    }

    @Test
    fun `SQLite keeps the events across a reopen`() {
        val store = "sqlite:${tmp.resolve("durable.db")}"
        Engine.open(store, domain).use { it.execute("Todos", "1", create("a")) }
        Engine.open(store, domain, EngineOptions(cacheCapacity = 0, snapshotEvery = 0)).use { engine ->
            assertEquals(1L, engine.load("Todos", "1").version)
            assertEquals(listOf("a"), engine.readStream("Todos-1").map { it.data["id"] })
        }
    }

    @ParameterizedTest(name = "on {0}")
    @ValueSource(strings = ["memory", "sqlite"])
    fun `use after close is a clear error`(store: String) {
        val engine = open(store)
        engine.execute("Todos", "1", create("a"))
        engine.close()
        engine.close()
        val e = assertThrows<EventfoldException.StoreError> { engine.execute("Todos", "1", create("b")) }
        assertTrue(e.message.contains("closed"), e.message)
        assertThrows<EventfoldException.StoreError> { engine.load("Todos", "1") }
        assertThrows<EventfoldException.StoreError> { engine.query("Todos", "1", "remaining") }
        assertThrows<EventfoldException.StoreError> { engine.readStream("Todos-1") }
        assertThrows<EventfoldException.StoreError> { engine.readAll() }
        assertThrows<EventfoldException.StoreError> { engine.streams() }
        assertThrows<EventfoldException.StoreError> { engine.executeMany(listOf(ExecuteRequest("Todos", "1", create("c")))) }
    }

    @Test
    fun `bad input to the engine`() {
        open("memory").use { engine ->
            assertThrows<EventfoldException.InvalidJson> { engine.executeJson("Todos", "1", "{") }
            assertThrows<EventfoldException.InvalidJson> { engine.executeJson("Todos", "1", """{"type":"create-new","data":{"id":"a","text":"x"}}""", "nope") }
            assertThrows<EventfoldException.UnknownModel> { engine.execute("Nope", "1", create("a")) }
            assertThrows<EventfoldException.InvalidJson> { engine.execute("Todos", "1\uD800", create("a")) }
            assertThrows<EventfoldException.InvalidJson> { engine.executeManyJson("[") }
            assertThrows<EventfoldException> { engine.readStreamJson("Todos-1", """{"from_version":-1}""") }
            assertThrows<EventfoldException.LimitExceeded> { engine.executeJson("Todos", "1", "[".repeat(10_000)) }
            // Options are checked by the core, as in every binding.
            val bad = assertThrows<EventfoldException.InvalidCommand> { Engine.open("memory:", domain, EngineOptions(cacheCapacity = -1)) }
            assertEquals("options.cache_capacity", bad.path)
            val stream = assertThrows<EventfoldException.InvalidCommand> { engine.readStream("Todos-1", fromVersion = -1) }
            assertEquals("options.from_version", stream.path)
        }
        assertThrows<EventfoldException.StoreError> { Engine.open("ftp://nowhere", domain) }
        assertThrows<EventfoldException.StoreError> { Engine.open("sqlite:/nonexistent-dir/x/y.db", domain) }
    }
}
