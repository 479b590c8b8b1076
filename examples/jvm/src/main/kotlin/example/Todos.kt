package example

import dev.eventfold.Domain
import dev.eventfold.Engine
import dev.eventfold.EventfoldException
import dev.eventfold.ExecuteOptions
import java.nio.file.Path

/**
 * The todo example from Kotlin. Arguments: the model file (default
 * `../todos/todos.model`) and the store (default `memory:`; try
 * `sqlite:todos.db` and run it twice).
 */
fun main(args: Array<String>) {
    val model = Path.of(args.getOrElse(0) { "../todos/todos.model" })
    val store = args.getOrElse(1) { "memory:" }

    Domain.fromFiles(model).use { domain ->
        // The pure decision: no store, nothing recorded.
        val events = domain.propose("Todos", null, command("create-new", "id" to "milk", "text" to "Buy milk"))
        println("propose: $events")

        Engine.open(store, domain).use { engine ->
            val todos = TodoList(engine, "kitchen")
            todos.add("milk", "Buy milk")
            todos.add("bread", "Bake bread")
            todos.add("milk", "Buy milk again") // rejected: the id is taken
            todos.complete("milk")
            println("remaining: ${engine.query("Todos", "kitchen", "remaining")}")
            val loaded = engine.load("Todos", "kitchen")
            println("state at version ${loaded.version}: ${loaded.state}")
            for (e in engine.readStream("Todos-kitchen")) println("  #${e.version} ${e.type} ${e.data}")
        }
    }
}

/** A service object over one stream, as a web handler would hold it. */
class TodoList(private val engine: Engine, private val id: String) {
    fun add(todo: String, text: String) = run(command("create-new", "id" to todo, "text" to text))

    fun complete(todo: String) = run(command("change-completed", "id" to todo, "completed" to true))

    private fun run(command: Map<String, Any?>) {
        try {
            val done = engine.execute("Todos", id, command, ExecuteOptions(metadata = mapOf("user" to "ada")))
            println("${command["type"]}: version ${done.version}, ${done.events.map { it.type }}")
        } catch (e: EventfoldException.Rejected) {
            println("${command["type"]}: rejected (${e.reason}): ${e.message}")
        }
    }
}

private fun command(type: String, vararg data: Pair<String, Any?>) = mapOf("type" to type, "data" to mapOf(*data))
