// A typed Java program over the code `eventfold generate --lang java` writes
// for examples/todos/todos.model: GeneratedCodeTest compiles and runs it.
package usage;

import dev.eventfold.Domain;
import dev.eventfold.Engine;
import dev.eventfold.EventfoldException;
import dev.eventfold.TypedExecuted;
import eventfold.generated.ReadSide;
import eventfold.generated.Todos;
import java.util.ArrayList;
import java.util.List;

public final class TodosUsageJava {
    private TodosUsageJava() {}

    public static List<String> run(String model) throws Exception {
        List<String> out = new ArrayList<>();
        try (Domain domain = Domain.fromFiles(model); Engine engine = Engine.open("memory:", domain)) {
            Todos todos = new Todos(engine);
            Todos.Stream kitchen = todos.stream("kitchen");
            TypedExecuted<Todos.Event> executed = kitchen.createNew(new Todos.CreateNew("milk", "Buy milk"));
            Todos.Event first = executed.getEvents().get(0).getEvent();
            if (first instanceof Todos.Created c) {
                out.add("created " + c.id() + " " + c.text() + " completed=" + c.completed() + " v" + executed.getVersion());
            }
            kitchen.createNew(new Todos.CreateNew("bread", "Bake bread"));
            kitchen.changeCompleted(new Todos.ChangeCompleted("bread", true));
            try {
                kitchen.createNew(new Todos.CreateNew("milk", "again"));
            } catch (EventfoldException.Rejected e) {
                out.add("rejected " + Todos.Reason.of(e) + " " + (Todos.Reason.of(e) == Todos.Reason.DUPLICATE) + " in " + Todos.CreateNew.REASONS);
            }
            Todos.State state = kitchen.state();
            out.add("state " + new java.util.TreeSet<>(state.todos().keySet()) + " milk=" + state.todos().get("milk").text());
            out.add("remaining " + kitchen.remaining() + " has=" + kitchen.hasTodo("milk") + " none=" + kitchen.getTodo("nope"));
            List<ReadSide.TodoRowsRow> rows = new ReadSide(engine).todoRows("kitchen");
            out.add("rows " + rows.stream().map(r -> r.id() + ":" + r.completed() + ":" + (r.doneAt() != null)).toList());
            TypedExecuted<Todos.Event> cleared = kitchen.clearDone(new Todos.ClearDone());
            out.add("cleared " + ((Todos.DoneCleared) cleared.events().get(0)).ids());
            // The CompletableFuture twins, composed without blocking until the end.
            String async = todos.stream("hall").createNewAsync(new Todos.CreateNew("lamp", "Fix the lamp"))
                    .thenCompose(e -> todos.stream("hall").remainingAsync().thenApply(n -> "async v" + e.getVersion() + " " + n))
                    .get();
            out.add(async);
        }
        return out;
    }
}
