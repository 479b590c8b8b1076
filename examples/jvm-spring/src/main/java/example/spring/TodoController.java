package example.spring;

import dev.eventfold.EventfoldException;
import dev.eventfold.TypedExecuted;
import example.spring.model.ReadSide;
import example.spring.model.Todos;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * The HTTP face of the todos: each list is a stream ({@code Todos-<list>}),
 * commands are POST/PUT/DELETE, and {@code GET /lists/{list}/todos} reads
 * the projection's table {@code todo_rows}. A rejection is 409 (duplicate)
 * or 422 (any other reason), with its reason in the JSON body.
 */
@RestController
public class TodoController {
    private final Todos todos;
    private final ReadSide readSide;

    public TodoController(Todos todos, ReadSide readSide) {
        this.todos = todos;
        this.readSide = readSide;
    }

    /** The body of a new todo. */
    public record NewTodo(String id, String text) {}

    /** The body of a change. */
    public record Change(String text, Boolean completed) {}

    @PostMapping("/lists/{list}/todos")
    public ResponseEntity<Map<String, Object>> create(@PathVariable String list, @RequestBody NewTodo body) {
        TypedExecuted<Todos.Event> done = todos.stream(list).createNew(new Todos.CreateNew(body.id(), body.text()));
        return ResponseEntity.status(HttpStatus.CREATED).body(executed(done));
    }

    @PutMapping("/lists/{list}/todos/{id}")
    public Map<String, Object> change(@PathVariable String list, @PathVariable String id, @RequestBody Change body) {
        Todos.Stream stream = todos.stream(list);
        long version = stream.load().getVersion();
        List<Todos.Event> events = new java.util.ArrayList<>();
        if (body.text() != null) {
            TypedExecuted<Todos.Event> e = stream.changeText(new Todos.ChangeText(id, body.text()));
            events.addAll(e.events());
            version = e.getVersion();
        }
        if (body.completed() != null) {
            TypedExecuted<Todos.Event> e = stream.changeCompleted(new Todos.ChangeCompleted(id, body.completed()));
            events.addAll(e.events());
            version = e.getVersion();
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("version", version);
        out.put("events", events.stream().map(Todos.Event::type).toList());
        return out;
    }

    @DeleteMapping("/lists/{list}/todos/{id}")
    public Map<String, Object> delete(@PathVariable String list, @PathVariable String id) {
        return executed(todos.stream(list).delete(new Todos.Delete(id)));
    }

    /** The projection's rows of one list, in key order. */
    @GetMapping("/lists/{list}/todos")
    public List<ReadSide.TodoRowsRow> rows(@PathVariable String list) {
        return readSide.todoRows(list);
    }

    /** The list's state, from its events. */
    @GetMapping("/lists/{list}")
    public Map<String, Object> state(@PathVariable String list) {
        Todos.Stream stream = todos.stream(list);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("remaining", stream.remaining());
        out.put("todos", stream.allTodos());
        return out;
    }

    private static Map<String, Object> executed(TypedExecuted<Todos.Event> done) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("version", done.getVersion());
        out.put("events", done.events().stream().map(Todos.Event::type).toList());
        return out;
    }

    @ExceptionHandler(EventfoldException.Rejected.class)
    public ResponseEntity<Map<String, Object>> rejected(EventfoldException.Rejected e) {
        HttpStatus status = Todos.Reason.of(e) == Todos.Reason.DUPLICATE ? HttpStatus.CONFLICT : HttpStatus.UNPROCESSABLE_ENTITY;
        return ResponseEntity.status(status).body(e.toMap());
    }

    @ExceptionHandler(EventfoldException.InvalidCommand.class)
    public ResponseEntity<Map<String, Object>> invalid(EventfoldException.InvalidCommand e) {
        return ResponseEntity.badRequest().body(e.toMap());
    }

    @ExceptionHandler(NullPointerException.class)
    public ResponseEntity<Map<String, Object>> missing(NullPointerException e) {
        // A record's required field left out of the body (Todos.CreateNew refuses null).
        return ResponseEntity.badRequest().body(Map.of("code", "invalid_command", "message", String.valueOf(e.getMessage())));
    }
}
