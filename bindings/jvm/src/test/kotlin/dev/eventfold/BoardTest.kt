package dev.eventfold

import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestInstance
import org.junit.jupiter.api.assertThrows
import java.nio.file.Path
import java.time.Instant

/** The version 1 verbs on the shared board model: project onto given tables, older shapes, describe's new keys. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BoardTest {
    private val scenarios: Path =
        Path.of(System.getProperty("eventfold.scenarios") ?: System.getenv("EVENTFOLD_SCENARIOS") ?: "../../../shared/scenarios")
    private val board = Domain.fromFiles(scenarios.resolve("v1/board.model"))

    @AfterAll
    fun close() = board.close()

    private val cardRow =
        mapOf(
            "board_id" to "b1", "card_id" to "a", "title" to "Spec", "lane" to "todo", "priority" to "normal",
            "labels" to emptyList<String>(), "added_at" to "2026-01-01T00:00:00Z", "added_by" to null, "moved_at" to null, "version" to 1L,
        )

    @Test
    fun `project folds events onto the tables it is given`() {
        val tables = mapOf("boards" to listOf(mapOf("board_id" to "b1", "title" to "Sprint", "cards" to 1L)), "card_rows" to listOf(cardRow))
        val moved =
            mapOf(
                "model" to "Board", "id" to "b1", "type" to "card-moved", "data" to mapOf("id" to "a", "lane" to "done"),
                "version" to 2, "recorded_at" to Instant.parse("2026-03-02T09:15:00Z"),
            )
        val out = board.project("board-screen", listOf(moved), tables)
        assertEquals(setOf("boards", "card_rows"), out.keys)
        assertEquals(listOf(cardRow + mapOf("lane" to "done", "moved_at" to "2026-03-02T09:15:00Z", "version" to 2L)), out["card_rows"])
        assertEquals(tables["boards"], out["boards"])
        assertEquals(mapOf("card_rows" to emptyList<Any>(), "boards" to emptyList<Any>()), board.project("board-screen", listOf(moved)))
        assertEquals(
            """{"card_rows":[],"boards":[{"board_id":"b1","title":"","cards":0}]}""",
            board.projectJson("board-screen", "[]", """{"boards":[{"board_id":"b1"}]}"""),
        )
    }

    @Test
    fun `project upcasts older shapes and fails with the core's codes`() {
        val out = board.project("board-screen", listOf(mapOf("model" to "Board", "id" to "b1", "type" to "task-created", "schema" to 1, "data" to mapOf("id" to "t", "text" to "Old"))))
        assertEquals(listOf("t", "Old", "todo", "normal"), out.getValue("card_rows").single().let { listOf(it["card_id"], it["title"], it["lane"], it["priority"]) })
        assertThrows<EventfoldException.UnknownProjection> { board.project("board-screens", emptyList()) }
        val e =
            assertThrows<EventfoldException.InvalidEvent> {
                board.project("board-screen", listOf(mapOf("model" to "Board", "id" to "b1", "type" to "card-added", "schema" to 1, "data" to mapOf("id" to "a", "title" to 5))))
            }
        assertEquals("data.title", e.path)
    }

    @Test
    @Suppress("UNCHECKED_CAST")
    fun `describe has versions upcasts tables projections and the tzdb`() {
        val d = board.describe()
        val model = (d["models"] as List<Map<String, Any?>>).single()
        assertEquals(2L, (model["events"] as List<Map<String, Any?>>).single { it["name"] == "card-added" }["version"])
        val up = (model["upcasts"] as List<Map<String, Any?>>).single { it["name"] == "card-added" && it["version"] == 1L }
        assertEquals(listOf(mapOf("name" to "card-added", "version" to 2L)), up["emits"])
        val tables = d["tables"] as List<Map<String, Any?>>
        assertEquals(listOf("card_rows", "boards", "activity", "card_labels"), tables.map { it["name"] })
        assertEquals(listOf("board_id", "card_id"), tables.first()["key"])
        val projections = d["projections"] as List<Map<String, Any?>>
        assertEquals(listOf("inline", "async"), projections.map { it["mode"] })
        assertTrue((d["tzdb"] as String).startsWith("20"), d["tzdb"].toString())
    }
}
