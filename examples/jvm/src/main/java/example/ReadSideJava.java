package example;

import dev.eventfold.Domain;
import dev.eventfold.Engine;
import dev.eventfold.EventfoldException;
import dev.eventfold.Executed;
import dev.eventfold.StoredEvent;
import dev.eventfold.Subscription;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

/**
 * The read side from Java: the inline projection's {@code todo_rows} table
 * through the engine and through plain JDBC, and a subscription as an
 * {@code Iterable}. Arguments: the model file (default
 * {@code ../todos/todos.model}) and the SQLite file (default: a new one in a
 * temporary folder).
 */
public final class ReadSideJava {
    public static void main(String[] args) throws Exception {
        Path model = Path.of(args.length > 0 ? args[0] : "../todos/todos.model");
        Path file = args.length > 1 ? Path.of(args[1]) : Files.createTempDirectory("eventfold-example").resolve("todos.db");
        System.out.println("store: " + file);

        try (Domain domain = Domain.fromFiles(model);
             Engine engine = Engine.open("sqlite:" + file, domain)) {
            execute(engine, "kitchen", Map.of("type", "create-new", "data", Map.of("id", "milk", "text", "Buy milk")));
            execute(engine, "kitchen", Map.of("type", "create-complete", "data", Map.of("id", "bread", "text", "Bake bread")));
            long last = execute(engine, "garden", Map.of("type", "create-new", "data", Map.of("id", "roses", "text", "Water the roses")));

            // Read-your-writes: an inline projection is there at once; an async one
            // would be there once waitFor returns true.
            System.out.println("caught up: " + engine.waitFor(last));
            for (Map<String, Object> row : engine.rows("todo_rows")) {
                System.out.println("  " + row);
            }

            try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + file);
                 PreparedStatement q = db.prepareStatement(
                         "SELECT id, text, completed, done_at FROM todo_rows WHERE list_id = ? ORDER BY id")) {
                q.setString(1, "kitchen");
                try (ResultSet rs = q.executeQuery()) {
                    System.out.println("the kitchen list, read with JDBC:");
                    while (rs.next()) {
                        System.out.println("  " + rs.getString("id") + ": " + rs.getString("text")
                                + (rs.getBoolean("completed") ? " (done " + rs.getString("done_at") + ")" : ""));
                    }
                }
            } catch (SQLException e) {
                throw new IllegalStateException("could not read todo_rows from " + file + ": " + e.getMessage(), e);
            }

            // A subscription is an Iterable: each event is acked when the loop asks
            // for the next, so the one the loop breaks on is delivered again later.
            // The loop waits for new events forever; here it stops at the newest one.
            List<StoredEvent> all = engine.readAll();
            long newest = all.get(all.size() - 1).getPosition();
            try (Subscription sub = engine.subscribe("printer")) {
                for (StoredEvent e : sub) {
                    System.out.println("event #" + e.getPosition() + " " + e.getStream() + " " + e.getType());
                    if (e.getPosition() >= newest) break;
                }
            }
        }
    }

    /** The position of the command's last event (0: none, e.g. rejected on a second run over the same file). */
    static long execute(Engine engine, String list, Map<String, Object> command) {
        try {
            Executed done = engine.execute("Todos", list, command);
            System.out.println(command.get("type") + " on " + list + ": position " + done.getPosition());
            return done.getPosition();
        } catch (EventfoldException.Rejected e) {
            System.out.println(command.get("type") + " on " + list + ": rejected (" + e.getReason() + "): " + e.getMessage());
            return 0;
        }
    }
}
