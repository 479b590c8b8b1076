package example

import dev.eventfold.Domain
import dev.eventfold.Engine
import java.nio.file.Files
import java.nio.file.Path
import java.sql.DriverManager

/**
 * The read side from Kotlin: commands keep the `todo_rows` table of the
 * inline projection `todo-board` in step, the engine reads it back
 * (`rows`), plain JDBC reads the same table from the store file, and a
 * subscription delivers the events as a `Sequence`.
 *
 * Arguments: the model file (default `../todos/todos.model`) and the
 * SQLite file (default: a new one in a temporary folder).
 */
fun main(args: Array<String>) {
    val model = Path.of(args.getOrElse(0) { "../todos/todos.model" })
    val file = args.getOrNull(1)?.let { Path.of(it) } ?: Files.createTempDirectory("eventfold-example").resolve("todos.db")
    println("store: $file")

    Domain.fromFiles(model).use { domain ->
        Engine.open("sqlite:$file", domain).use { engine ->
            val kitchen = TodoList(engine, "kitchen")
            kitchen.add("milk", "Buy milk")
            kitchen.add("bread", "Bake bread")
            kitchen.complete("milk")
            TodoList(engine, "garden").add("roses", "Water the roses")

            // Through the engine: rows in key order, every column.
            println("rows of todo_rows:")
            for (row in engine.rows("todo_rows")) println("  $row")
            println("rows of the kitchen list: ${engine.rows("todo_rows", key = listOf("kitchen")).map { it["id"] }}")

            // The same table with the application's own database code: it is a
            // real SQL table (TEXT, INTEGER 0/1 for bool, TEXT timestamps).
            DriverManager.getConnection("jdbc:sqlite:$file").use { db ->
                db.prepareStatement("SELECT list_id, id, text, completed, done_at FROM todo_rows WHERE completed = ? ORDER BY list_id, id").use { q ->
                    q.setBoolean(1, false)
                    q.executeQuery().use { rs ->
                        println("open todos, read with JDBC:")
                        while (rs.next()) println("  ${rs.getString("list_id")}/${rs.getString("id")}: ${rs.getString("text")}")
                    }
                }
                db.createStatement().use { st ->
                    st.executeQuery("SELECT list_id, count(*) AS n, sum(completed) AS done FROM todo_rows GROUP BY list_id ORDER BY list_id").use { rs ->
                        println("per list, with SQL:")
                        while (rs.next()) println("  ${rs.getString("list_id")}: ${rs.getLong("n")} todos, ${rs.getLong("done")} done")
                    }
                }
            }

            // A subscription: every event, at least once, as a Sequence that
            // waits for new events forever; here it stops at the newest one.
            // Each event is acked when the next one is asked for, so the one
            // it stops at stays unacked: the next "printer" starts with it.
            val newest = engine.readAll().last().position
            engine.subscribe("printer").use { sub ->
                sub.asSequence()
                    .onEach { e -> println("event #${e.position} ${e.stream} ${e.type} ${e.data}") }
                    .first { it.position >= newest }
            }
            for (s in engine.subscriptions()) println("subscription ${s.name}: checkpoint ${s.checkpoint}, lag ${s.lag}")
        }
    }
}
