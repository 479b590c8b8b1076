package dev.eventfold

import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertNotEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import org.junit.jupiter.api.io.TempDir
import java.nio.file.Path

/**
 * Model changes through the JVM skin (MODEL-LANGUAGE §12): a store written
 * by one version of a model and read by the next through its upcast, the
 * raw stored form, and migrate plan and apply with engines of the old
 * version that fail or follow. Each test has its own SQLite file; nothing
 * waits on time.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MigrationTest {
    /** The first version: a todo is an id and a text. */
    private val v1 =
        Domain.compile(
            "todos-v1.model",
            """
            model Todos {
              state { todos: map<string, Todo> }
              record Todo {
                id: string
                text: string
              }
              command create(id: string, text: string) { emit created(id, text) }
              event created(id: string, text: string) { set todos[id] = Todo{id, text} }
            }
            """.trimIndent(),
        )

    /** The second: a todo has a priority, and `created@1` reads as a `created@2` of normal priority. */
    private val v2 = Domain.compile("todos-v2.model", version2(withUpcast = true))

    /** A third that forgot the upcast: stored `created@1` events are unreadable. */
    private val v3 = Domain.compile("todos-v3.model", version2(withUpcast = false))

    private fun version2(withUpcast: Boolean): String =
        """
        model Todos {
          enum Priority { low, normal, high }
          state { todos: map<string, Todo> }
          record Todo {
            id: string
            text: string
            priority: Priority
          }
          command create(id: string, text: string, priority: Priority = Priority.normal) {
            emit created(id, text, priority)
          }
          event created@2(id: string, text: string, priority: Priority) {
            set todos[id] = Todo{id, text, priority}
          }
        ${if (withUpcast) "  upcast created@1(id: string, text: string) { emit created@2(id, text, priority: Priority.normal) }" else ""}
        }
        """.trimIndent()

    @TempDir
    lateinit var tmp: Path

    @AfterAll
    fun close() {
        v1.close()
        v2.close()
        v3.close()
    }

    private fun store(name: String) = "sqlite:${tmp.resolve("$name.db")}"

    private fun create(id: String, text: String, vararg more: Pair<String, Any?>) =
        mapOf("type" to "create", "data" to mapOf("id" to id, "text" to text, *more))

    /** Two streams written by v1, three events: the store every test starts from. */
    private fun writeV1(store: String) {
        Engine.open(store, v1).use { e ->
            e.execute("Todos", "home", create("a", "Sweep"))
            e.execute("Todos", "home", create("b", "Dust"))
            e.execute("Todos", "work", create("c", "Mail"))
        }
    }

    @Test
    fun `a store written by v1 reads through v2's upcast`() {
        val store = store("upcast")
        writeV1(store)
        Engine.open(store, v2).use { e ->
            val loaded = e.load("Todos", "home")
            assertEquals(2L, loaded.version)
            assertEquals(
                mapOf(
                    "a" to mapOf("id" to "a", "text" to "Sweep", "priority" to "normal"),
                    "b" to mapOf("id" to "b", "text" to "Dust", "priority" to "normal"),
                ),
                loaded.state["todos"],
            )
            val read = e.readStream("Todos-home")
            assertEquals(listOf(2L, 2L), read.map { it.schema })
            assertEquals(listOf("created", "created"), read.map { it.type })
            assertEquals(mapOf("id" to "a", "text" to "Sweep", "priority" to "normal"), read[0].data)
            assertEquals(listOf(2L, 2L, 2L), e.readAll().map { it.schema })

            // A new command with v2 writes the current version.
            val done = e.execute("Todos", "home", create("d", "Iron", "priority" to "high"))
            assertEquals(listOf(2L), done.events.map { it.schema })
            val last = e.readStream("Todos-home", fromVersion = 3).single()
            assertEquals(2L, last.schema)
            assertEquals(mapOf("id" to "d", "text" to "Iron", "priority" to "high"), last.data)
        }
    }

    @Test
    fun `plan names the model, replays its streams and lists the new event version`() {
        val store = store("plan")
        writeV1(store)
        Engine.open(store, v1).use { e ->
            val plan = e.migratePlan(v2)
            assertTrue(plan.ok, plan.toString())
            val todos = plan.models.single()
            assertEquals("Todos", todos.model)
            assertTrue(todos.replay)
            assertNotEquals(todos.from, todos.to)
            assertTrue(LanguageChange("Todos", "added", "event", "created@2") in plan.language, plan.language.toString())
            assertEquals(emptyList<BlockingItem>(), plan.blocking)
            assertEquals(2L, plan.replay.streams)
            assertEquals(3L, plan.replay.events)
            assertEquals(emptyList<FailedStream>(), plan.replay.failed)
            // Every todo gains a priority: both streams differ, each shown up to the limit asked.
            assertEquals(2L, plan.replay.different)
            assertEquals(1, e.migratePlan(v2, MigratePlanOptions(differences = 1)).replay.differences.size)
            val negative = assertThrows<EventfoldException.InvalidCommand> { e.migratePlan(v2, MigratePlanOptions(differences = -1)) }
            assertEquals("options.differences", negative.path)
            val home = e.migratePlan(v2).replay.differences.single { it.stream == "Todos-home" }
            assertTrue(StateChange("todos.a.priority", null, "normal") in home.changes, home.changes.toString())
            // The JSON twin is the core's own text.
            assertEquals(true, Json.readMap(e.migratePlanJson(v2, """{"differences": 0}"""))["ok"])
            // A plan changes nothing: v1 is still the store's, and still writes.
            assertEquals(listOf(todos.from), e.modelVersions().filter { it.active }.map { it.revision })
            assertEquals(1L, e.execute("Todos", "new", create("x", "X")).events.single().schema)
        }
    }

    @Test
    fun `a plan that cannot read stored events blocks, and apply refuses it`() {
        val store = store("blocking")
        writeV1(store)
        Engine.open(store, v1).use { e ->
            val before = e.modelVersions()
            val active = before.single { it.active }
            val plan = e.migratePlan(v3)
            assertFalse(plan.ok)
            val item = plan.blocking.single()
            assertEquals(listOf("Todos", "created", 1L, 3L, "unknown_event"), listOf(item.model, item.type, item.schema, item.events, item.code))
            val refused = assertThrows<EventfoldException.UnknownEvent> { e.migrateApply(v3) }
            assertTrue(refused.message.startsWith("migrate apply refused:"), refused.message)
            assertTrue(refused.message.contains("migrate plan"), refused.message)
            // Nothing switched: v1 is active, and this engine still runs it.
            assertEquals(listOf(active), e.modelVersions().filter { it.active })
            assertEquals(1L, e.execute("Todos", "home", create("z", "Z")).events.single().schema)
            assertEquals(mapOf("id" to "z", "text" to "Z"), e.load("Todos", "home").state.obj("todos")["z"])
        }
    }

    @Test
    fun `apply switches the store, and old engines fail or follow at their next command`() {
        val store = store("apply")
        writeV1(store)
        Engine.open(store, v1).use { e ->
            Engine.open(store, v1, EngineOptions(onModelChange = OnModelChange.FAIL)).use { failing ->
                Engine.open(store, v1, EngineOptions().withOnModelChange(OnModelChange.FOLLOW)).use { following ->
                    val v1Revision = e.modelVersions().single { it.active }.revision
                    val applied = e.migrateApply(v2)
                    val todos = applied.models.single()
                    assertEquals(listOf("Todos", v1Revision), listOf(todos.model, todos.from))
                    assertTrue(applied.pauseMillis >= 0.0 && applied.pauseMillis <= applied.millis, applied.toString())
                    assertEquals(3L, applied.position)

                    val versions = e.modelVersions()
                    assertEquals(2, versions.size, versions.toString())
                    val active = versions.single { it.active }
                    assertEquals(todos.to, active.revision)
                    val old = versions.single { !it.active }
                    assertEquals(v1Revision, old.revision)
                    assertTrue(old.activatedAt != null && active.activatedAt != null, versions.toString())

                    // This engine runs v2 now.
                    assertEquals(2L, e.execute("Todos", "home", create("d", "Iron")).events.single().schema)
                    val head = e.readAll(raw = true).size

                    // `fail`: the old engine's command is refused, and writes nothing.
                    val changed = assertThrows<EventfoldException.ModelChanged> { failing.execute("Todos", "home", create("e", "Fold")) }
                    assertEquals("Todos", changed.model)
                    assertEquals(head, e.readAll(raw = true).size)
                    // Refused again, not switched behind its back.
                    assertThrows<EventfoldException.ModelChanged> { failing.execute("Todos", "home", create("e", "Fold")) }

                    // `follow`: the old engine switches to v2 and runs the command with it.
                    val done = following.execute("Todos", "work", create("f", "File"))
                    val written = e.readStream("Todos-work", fromVersion = done.version, raw = true).single()
                    assertEquals(2L, written.schema)
                    assertEquals(mapOf("id" to "f", "text" to "File", "priority" to "normal"), written.data)
                    assertEquals("normal", following.load("Todos", "work").state.obj("todos").let { (it["c"] as Map<*, *>)["priority"] })
                    assertEquals(head + 1, e.readAll(raw = true).size)
                }
            }
        }
        // Reopened with v1, the store does not go back: v1 was registered, and is no longer active.
        Engine.open(store, v1).use { e ->
            assertThrows<EventfoldException.ModelChanged> { e.execute("Todos", "home", create("g", "Go")) }
            assertEquals(1, e.modelVersions().count { it.active })
        }
    }

    @Test
    fun `a raw read shows the events as stored`() {
        val store = store("raw")
        writeV1(store)
        Engine.open(store, v2).use { e ->
            e.execute("Todos", "home", create("d", "Iron", "priority" to "high"))
            val raw = e.readStream("Todos-home", raw = true)
            assertEquals(listOf(1L, 1L, 2L), raw.map { it.schema })
            assertEquals(mapOf("id" to "a", "text" to "Sweep"), raw[0].data)
            assertEquals(mapOf("id" to "d", "text" to "Iron", "priority" to "high"), raw[2].data)
            // The same rows as the upcast read, but as written.
            val upcast = e.readStream("Todos-home")
            assertEquals(upcast.map { it.id to it.position }, raw.map { it.id to it.position })
            assertEquals(listOf(1L, 1L, 1L, 2L), e.readAll(raw = true).map { it.schema })
            assertEquals(raw.drop(1), e.readStream("Todos-home", fromVersion = 2, raw = true))
            // Over JSON text, as the core takes it.
            assertTrue(e.readStreamJson("Todos-work", """{"raw": true}""").contains(""""schema":1"""))
        }
    }
}
