package app;

import dev.eventfold.Domain;
import dev.eventfold.Engine;
import dev.eventfold.EventfoldException;
import java.nio.file.Path;
import java.util.Map;

/** A user's first program, against the jar installed from dist/ (packaging/test.sh). */
public final class App {
    public static void main(String[] args) {
        try (Domain domain = Domain.fromFiles(Path.of(args[0]));
             Engine engine = Engine.open(args[1], domain)) {
            engine.execute("Todos", "home", createNew("a", "Buy milk"));
            engine.execute("Todos", "home", createNew("b", "Call mum"));
            try {
                engine.execute("Todos", "home", createNew("a", "Again"));
            } catch (EventfoldException.Rejected e) {
                System.out.println("rejected: " + e.getReason());
            }
            System.out.println("remaining: " + engine.query("Todos", "home", "remaining"));
        }
        System.out.println("eventfold from " + Domain.class.getProtectionDomain().getCodeSource().getLocation());
    }

    private static Map<String, Object> createNew(String id, String text) {
        return Map.of("type", "create-new", "data", Map.of("id", id, "text", text));
    }
}
