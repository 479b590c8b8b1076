package example;

import dev.eventfold.Domain;
import dev.eventfold.Engine;
import dev.eventfold.EventfoldException;
import dev.eventfold.Executed;
import dev.eventfold.ExecuteOptions;
import dev.eventfold.Loaded;
import dev.eventfold.StoredEvent;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The todo example from Java. Arguments: the model file (default
 * {@code ../todos/todos.model}) and the store (default {@code memory:}).
 */
public final class TodosJava {
    public static void main(String[] args) {
        Path model = Path.of(args.length > 0 ? args[0] : "../todos/todos.model");
        String store = args.length > 1 ? args[1] : "memory:";

        try (Domain domain = Domain.fromFiles(model);
             Engine engine = Engine.open(store, domain)) {
            // The pure decision: no store, nothing recorded.
            List<Map<String, Object>> events = domain.propose("Todos", null, createNew("milk", "Buy milk"));
            System.out.println("propose: " + events);

            execute(engine, createNew("milk", "Buy milk"));
            execute(engine, createNew("bread", "Bake bread"));
            execute(engine, createNew("milk", "Buy milk again")); // rejected: the id is taken
            execute(engine, Map.of("type", "change-completed", "data", Map.of("id", "milk", "completed", true)));

            System.out.println("remaining: " + engine.query("Todos", "kitchen", "remaining"));
            Loaded loaded = engine.load("Todos", "kitchen");
            System.out.println("state at version " + loaded.getVersion() + ": " + loaded.getState());
            for (StoredEvent e : engine.readStream("Todos-kitchen")) {
                System.out.println("  #" + e.getVersion() + " " + e.getType() + " " + e.getData());
            }
        }
    }

    static Map<String, Object> createNew(String id, String text) {
        return Map.of("type", "create-new", "data", Map.of("id", id, "text", text));
    }

    static void execute(Engine engine, Map<String, Object> command) {
        try {
            ExecuteOptions options = new ExecuteOptions().withMetadata(Map.of("user", "ada"));
            Executed done = engine.execute("Todos", "kitchen", command, options);
            System.out.println(command.get("type") + ": version " + done.getVersion() + ", " + done.getEvents().size() + " event(s)");
        } catch (EventfoldException.Rejected e) {
            System.out.println(command.get("type") + ": rejected (" + e.getReason() + "): " + e.getMessage());
        }
    }
}
