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
}
