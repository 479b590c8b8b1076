package dev.eventfold

import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import java.math.BigInteger
import java.nio.file.Path
import java.time.Instant
import java.util.concurrent.Callable
import java.util.concurrent.Executors

/** The model of the todo example, shared by the tests. */
internal val TODOS_MODEL: Path = Path.of("../../examples/todos/todos.model")

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DomainTest {
    private val domain = Domain.fromFiles(TODOS_MODEL)

    @AfterAll
    fun close() = domain.close()

    private fun create(id: String, text: String) = mapOf("type" to "create-new", "data" to mapOf("id" to id, "text" to text))

    @Test
    fun `models describe and the initial state`() {
        assertEquals(listOf("Todos"), domain.models())
        @Suppress("UNCHECKED_CAST")
        val models = domain.describe()["models"] as List<Map<String, Any?>>
        assertEquals("Todos", models.single()["name"])
        assertTrue(domain.describeMarkdown().contains("create-new"))
        assertEquals(mapOf("todos" to emptyMap<String, Any?>()), domain.initialState("Todos"))
        assertEquals("""{"todos":{}}""", domain.initialStateJson("Todos"))
    }

    @Test
    fun `propose accept replay and query over values`() {
        val events = domain.propose("Todos", null, create("a", "Buy milk"))
        assertEquals(listOf(mapOf("type" to "created", "data" to mapOf("id" to "a", "text" to "Buy milk", "completed" to false))), events)
        val state = domain.replay("Todos", events)
        assertEquals(state, domain.accept("Todos", null, events.single()))
        assertEquals(true, domain.query("Todos", state, "has-todo", mapOf("id" to "a")))
        assertEquals(1L, domain.query("Todos", state, "remaining"))
        val done = domain.propose(
            "Todos", state, mapOf("type" to "change-completed", "data" to mapOf("id" to "a", "completed" to true)),
            Instant.parse("2026-11-28T12:00:00Z"),
        )
        assertEquals("completed-changed", done.single()["type"])
    }

    @Test
    fun `the same over JSON text`() {
        val events = domain.proposeJson("Todos", null, """{"type":"create-new","data":{"id":"a","text":"x"}}""")
        assertEquals("""[{"type":"created","data":{"id":"a","text":"x","completed":false}}]""", events)
        val state = domain.replayJson("Todos", events)
        assertEquals("""{"todos":{"a":{"id":"a","text":"x","completed":false}}}""", state)
        assertEquals("1", domain.queryJson("Todos", state, "remaining"))
        assertEquals(state, domain.acceptJson("Todos", null, """{"type":"created","data":{"id":"a","text":"x","completed":false}}"""))
    }

    @Test
    fun `a rejection carries its reason and message`() {
        val state = domain.replay("Todos", domain.propose("Todos", null, create("a", "Buy milk")))
        val e = assertThrows<EventfoldException.Rejected> { domain.propose("Todos", state, create("a", "again")) }
        assertEquals("duplicate", e.reason)
        assertEquals("todo a already exists", e.message)
        assertEquals("rejected", e.code)
        assertEquals(mapOf("code" to "rejected", "message" to "todo a already exists", "reason" to "duplicate"), e.toMap())
    }

    @Test
    fun `a model that does not compile reports every diagnostic`() {
        val e =
            assertThrows<EventfoldException.ModelError> {
                Domain.compile("bad.model", "model M {\n  state {\n    a: nope\n    b: nada\n  }\n}\n")
            }
        assertTrue(e.diagnostics.size >= 2, "${e.diagnostics}")
        val first = e.diagnostics.first()
        assertEquals("bad.model", first.file)
        assertEquals(3, first.line)
        assertEquals(8, first.column)
        assertTrue(e.message.contains("bad.model:3:8"), e.message)
    }

    @Test
    fun `wrong shapes name their path`() {
        val e = assertThrows<EventfoldException.InvalidCommand> { domain.propose("Todos", null, mapOf("type" to "create-new", "data" to mapOf("id" to "a"))) }
        assertEquals("data.text", e.path)
        assertThrows<EventfoldException.UnknownCommand> { domain.propose("Todos", null, mapOf("type" to "fly", "data" to emptyMap<String, Any?>())) }
        val ev = assertThrows<EventfoldException.InvalidEvent> { domain.accept("Todos", null, mapOf("type" to "created", "data" to mapOf("id" to 1))) }
        assertTrue(ev.path.startsWith("data"), ev.path)
        assertThrows<EventfoldException.UnknownEvent> { domain.accept("Todos", null, mapOf("type" to "flew", "data" to emptyMap<String, Any?>())) }
        assertThrows<EventfoldException.UnknownModel> { domain.initialState("Nope") }
        assertThrows<EventfoldException.UnknownQuery> { domain.query("Todos", null, "nope") }
    }

    // ---- version 1: upcast, project, and the schema of events handed in ----

    private val created = mapOf("id" to "a", "text" to "Buy milk", "completed" to false)

    @Test
    fun `upcast gives the events a stored event becomes, each type schema and data`() {
        val current = listOf(mapOf("type" to "created", "schema" to 1L, "data" to created))
        assertEquals(current, domain.upcast("Todos", mapOf("type" to "created", "data" to created)))
        assertEquals(current, domain.upcast("Todos", mapOf("type" to "created", "schema" to 1, "data" to created)))
        assertEquals(
            """[{"type":"created","schema":1,"data":{"id":"a","text":"x","completed":false}}]""",
            domain.upcastJson("Todos", """{"type":"created","schema":1,"data":{"id":"a","text":"x","completed":false}}"""),
        )
    }

    @Test
    fun `a schema that is no version is invalid_event at schema, an undeclared one unknown_event`() {
        for (schema in listOf<Any?>(0, -1, 1.5, "1", null, true)) {
            val e = assertThrows<EventfoldException.InvalidEvent>("schema $schema") {
                domain.upcast("Todos", mapOf("type" to "created", "schema" to schema, "data" to created))
            }
            assertEquals("schema", e.path)
            assertEquals("invalid_event", e.code)
        }
        // an int >= 1 that no declaration has, however large
        for (schema in listOf(2L, 1L shl 40)) {
            assertThrows<EventfoldException.UnknownEvent> { domain.upcast("Todos", mapOf("type" to "created", "schema" to schema, "data" to created)) }
        }
        assertThrows<EventfoldException.UnknownEvent> { domain.upcast("Todos", mapOf("type" to "flew", "data" to emptyMap<String, Any?>())) }
        assertThrows<EventfoldException.UnknownModel> { domain.upcast("Nope", mapOf("type" to "created", "data" to created)) }
        assertThrows<EventfoldException.InvalidJson> { domain.upcastJson("Todos", "{") }
        assertThrows<EventfoldException.InvalidJson> { domain.upcast("Todos", mapOf("type" to "created", "data" to mapOf("id" to Double.NaN))) }
    }

    @Test
    fun `accept and replay pass an event's schema through`() {
        val state = domain.accept("Todos", null, mapOf("type" to "created", "schema" to 1, "data" to created))
        assertEquals(state, domain.replay("Todos", listOf(mapOf("type" to "created", "schema" to 1, "data" to created))))
        assertThrows<EventfoldException.UnknownEvent> { domain.accept("Todos", null, mapOf("type" to "created", "schema" to 2, "data" to created)) }
        val e = assertThrows<EventfoldException.InvalidEvent> { domain.replay("Todos", listOf(mapOf("type" to "created", "schema" to "one", "data" to created))) }
        assertEquals("schema", e.path)
        assertTrue(e.message.contains("event 0"), e.message)
    }

    @Test
    fun `project of a projection the domain does not have is unknown_projection`() {
        val events = listOf(mapOf("model" to "Todos", "id" to "home", "type" to "created", "data" to created, "recorded_at" to Instant.parse("2026-01-01T00:00:00Z")))
        for (tables in listOf(null, emptyMap(), mapOf("todo_rows" to emptyList<Map<String, Any?>>()))) {
            val e = assertThrows<EventfoldException.UnknownProjection> { domain.project("no-such-projection", events, tables) }
            assertEquals("unknown_projection", e.code)
            assertTrue(e.message.contains("no-such-projection"), e.message)
        }
        assertThrows<EventfoldException.UnknownProjection> { domain.projectJson("no-such-projection", "[]") }
        assertThrows<EventfoldException.InvalidJson> { domain.project("p", listOf(mapOf("n" to Float.NaN))) }
        assertEquals("unknown_table", EventfoldException.UnknownTable("m").code)
    }

    // ---- bad input: a clear error, never a crash or a hang ----

    @Test
    fun `text that is not JSON`() {
        assertThrows<EventfoldException.InvalidJson> { domain.proposeJson("Todos", null, "{\"type\": ") }
        assertThrows<EventfoldException.InvalidJson> { domain.proposeJson("Todos", null, "") }
        assertThrows<EventfoldException.InvalidJson> { domain.replayJson("Todos", "[1,]") }
        // A raw NUL inside a JSON string is not JSON; an escaped one is a character like any other.
        assertThrows<EventfoldException.InvalidJson> { domain.proposeJson("Todos", null, "{\"type\":\"create-new\",\"data\":{\"id\":\"a\u0000\",\"text\":\"x\"}}") }
        val events = domain.propose("Todos", null, create("a\u0000b", "x"))
        @Suppress("UNCHECKED_CAST")
        assertEquals("a\u0000b", (events.single()["data"] as Map<String, Any?>)["id"])
    }

    @Test
    fun `a lone surrogate`() {
        val e = assertThrows<EventfoldException.InvalidJson> { domain.propose("Todos", null, create("a", "\uD800")) }
        assertTrue(e.message.contains("surrogate"), e.message)
        assertThrows<EventfoldException> { domain.initialState("Todos\uDC00") }
    }

    @Test
    fun `huge numbers are refused, never rounded`() {
        val huge = BigInteger("9".repeat(40))
        val e = assertThrows<EventfoldException.InvalidEvent> { domain.accept("Todos", null, mapOf("type" to "created", "data" to mapOf("id" to "a", "text" to huge, "completed" to false))) }
        assertEquals("data.text", e.path)
        assertThrows<EventfoldException> { domain.proposeJson("Todos", null, """{"type":"create-new","data":{"id":1e400,"text":"x"}}""") }
        val nan = assertThrows<EventfoldException.InvalidJson> { domain.propose("Todos", null, mapOf("type" to "create-new", "data" to mapOf("id" to Double.NaN, "text" to "x"))) }
        assertTrue(nan.message.contains("NaN"), nan.message)
        assertThrows<EventfoldException.InvalidJson> { domain.propose("Todos", null, mapOf("type" to "create-new", "data" to mapOf("id" to Float.POSITIVE_INFINITY, "text" to "x"))) }
    }

    @Test
    fun `deep and huge input hits a limit`() {
        val deep = "[".repeat(100_000) + "]".repeat(100_000)
        val e = assertThrows<EventfoldException.LimitExceeded> { domain.replayJson("Todos", deep) }
        assertTrue(e.limit.isNotEmpty())
        val big = "x".repeat(17 * 1024 * 1024)
        assertThrows<EventfoldException.LimitExceeded> { domain.propose("Todos", null, create("a", big)) }
    }

    @Test
    fun `values that are not JSON`() {
        assertThrows<EventfoldException.InvalidJson> { domain.propose("Todos", null, mapOf("type" to "create-new", "data" to mapOf("id" to Any(), "text" to "x"))) }
    }

    @Test
    fun `use after close`() {
        val d = Domain.fromFiles(TODOS_MODEL)
        d.close()
        d.close()
        val e = assertThrows<EventfoldException.StoreError> { d.models() }
        assertTrue(e.message.contains("closed"), e.message)
        assertThrows<EventfoldException.StoreError> { d.propose("Todos", null, create("a", "x")) }
        assertThrows<EventfoldException.StoreError> { d.describe() }
        assertEquals("Domain(closed)", d.toString())
    }

    @Test
    fun `one domain from many threads`() {
        val pool = Executors.newFixedThreadPool(8)
        try {
            val tasks = (1..8).map { t -> Callable { (1..200).sumOf { i -> domain.propose("Todos", null, create("t$t-$i", "x")).size } } }
            assertEquals(8 * 200, pool.invokeAll(tasks).sumOf { it.get() })
        } finally {
            pool.shutdown()
        }
    }
}
