// A typed program over the code `eventfold generate --lang kotlin` writes
// for examples/todos/todos.model: GeneratedCodeTest compiles it with the
// generated code and runs it against a real engine.
package usage

import dev.eventfold.Domain
import dev.eventfold.Engine
import dev.eventfold.EventfoldException
import eventfold.generated.ReadSide
import eventfold.generated.todos.ChangeCompleted
import eventfold.generated.todos.ClearDone
import eventfold.generated.todos.CreateNew
import eventfold.generated.todos.Created
import eventfold.generated.todos.DoneCleared
import eventfold.generated.todos.TodosEvent
import eventfold.generated.todos.TodosModel
import eventfold.generated.todos.TodosReason
import eventfold.generated.todos.todosReason
import kotlin.coroutines.Continuation
import kotlin.coroutines.EmptyCoroutineContext
import kotlin.coroutines.startCoroutine

object TodosUsage {
    @JvmStatic
    fun run(model: String): List<String> {
        val out = ArrayList<String>()
        Domain.fromFiles(model).use { domain ->
            Engine.open("memory:", domain).use { engine ->
                val todos = TodosModel(engine)
                val kitchen = todos.stream("kitchen")
                val executed = kitchen.createNew(CreateNew(id = "milk", text = "Buy milk"))
                val created: TodosEvent = executed.events.single().event
                when (created) {
                    is Created -> out += "created ${created.id} ${created.text} completed=${created.completed} v${executed.version}"
                    else -> out += "unexpected $created"
                }
                kitchen.createNew(CreateNew("bread", "Bake bread"))
                kitchen.changeCompleted(ChangeCompleted("bread", true))
                try {
                    kitchen.createNew(CreateNew("milk", "again"))
                } catch (e: EventfoldException.Rejected) {
                    out += "rejected ${e.todosReason} ${e.todosReason == TodosReason.DUPLICATE} in ${CreateNew.REASONS.sorted()}"
                }
                val state = kitchen.state()
                out += "state ${state.todos.keys.sorted()} milk=${state.todos.getValue("milk").text}"
                out += "remaining ${kitchen.remaining()} has=${kitchen.hasTodo("milk")} get=${kitchen.getTodo("bread")?.completed} none=${kitchen.getTodo("nope")}"
                out += "done ${kitchen.doneTodos().map { it.id }}"
                val rows = ReadSide(engine).todoRows(listId = "kitchen")
                out += "rows ${rows.map { "${it.id}:${it.completed}:${it.doneAt != null}" }}"
                val cleared = kitchen.clearDone(ClearDone)
                out += "cleared ${(cleared.events().single() as DoneCleared).ids}"
                out += "events ${kitchen.events().map { it.event.type }}"
                out += "propose ${TodosModel.propose(domain, null, CreateNew("x", "y")).map { it.type }}"

                // The suspend twin, started on this thread; its result lands in a future.
                val done = java.util.concurrent.CompletableFuture<String>()
                val block: suspend () -> String = {
                    val e = todos.stream("hall").suspending.createNew(CreateNew("lamp", "Fix the lamp"))
                    "suspend v${e.version} ${todos.stream("hall").suspending.remaining()}"
                }
                block.startCoroutine(Continuation(EmptyCoroutineContext) { r -> r.fold(done::complete, done::completeExceptionally) })
                out += done.get()
            }
        }
        return out
    }
}
