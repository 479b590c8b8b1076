package dev.eventfold;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The API as a Java programmer meets it: static factories, overloads, try-with-resources, unchecked exceptions. */
class JavaApiTest {
    static final Path MODEL = Path.of("../../examples/todos/todos.model");

    static Map<String, Object> createNew(String id, String text) {
        return Map.of("type", "create-new", "data", Map.of("id", id, "text", text));
    }

    @Test
    void domainVerbsFromJava() {
        try (Domain domain = Domain.fromFiles(MODEL)) {
            assertEquals(List.of("Todos"), domain.models());

            List<Map<String, Object>> events = domain.propose("Todos", null, createNew("a", "Buy milk"));
            assertEquals("created", events.get(0).get("type"));

            Map<String, Object> state = domain.replay("Todos", events);
            assertEquals(1L, domain.query("Todos", state, "remaining"));
            assertEquals(Boolean.TRUE, domain.query("Todos", state, "has-todo", Map.of("id", "a")));

            // The same over JSON text, for callers that already hold JSON.
            String json = domain.proposeJson("Todos", null, "{\"type\":\"create-new\",\"data\":{\"id\":\"b\",\"text\":\"x\"}}");
            assertEquals("[{\"type\":\"created\",\"data\":{\"id\":\"b\",\"text\":\"x\",\"completed\":false}}]", json);

            List<Map<String, Object>> later = domain.propose("Todos", state, createNew("c", "Walk"), Instant.parse("2026-11-28T12:00:00Z"));
            assertEquals(1, later.size());

            // Version 1: a stored event as the model reads it, and the tables of a projection.
            Map<String, Object> stored = Map.of("type", "created", "schema", 1, "data", Map.of("id", "a", "text", "x", "completed", false));
            List<Map<String, Object>> upcast = domain.upcast("Todos", stored);
            assertEquals(1L, upcast.get(0).get("schema"));
            EventfoldException.UnknownProjection none =
                    assertThrows(EventfoldException.UnknownProjection.class, () -> domain.project("no-such-projection", List.of()));
            assertEquals("unknown_projection", none.getCode());
        }
    }

    @Test
    void exceptionsAreCaughtByTypeWithTheirFields() {
        try (Domain domain = Domain.compile("todos.model", readModel())) {
            Map<String, Object> state = domain.replay("Todos", domain.propose("Todos", null, createNew("a", "Buy milk")));
            try {
                domain.propose("Todos", state, createNew("a", "again"));
                throw new AssertionError("expected a rejection");
            } catch (EventfoldException.Rejected e) {
                assertEquals("duplicate", e.getReason());
                assertEquals("todo a already exists", e.getMessage());
                assertEquals("rejected", e.getCode());
            }

            EventfoldException.InvalidCommand invalid = assertThrows(
                    EventfoldException.InvalidCommand.class,
                    () -> domain.propose("Todos", null, Map.of("type", "create-new", "data", Map.of("id", "a"))));
            assertEquals("data.text", invalid.getPath());

            // One base class catches them all, and it is unchecked: no `throws` clause needed.
            RuntimeException any = assertThrows(RuntimeException.class, () -> domain.initialState("Nope"));
            assertInstanceOf(EventfoldException.UnknownModel.class, any);
            assertEquals("unknown_model", ((EventfoldException) any).getCode());
        }

        // A null where the API takes none is Kotlin's NullPointerException, naming the parameter.
        try (Domain domain = Domain.fromFiles(MODEL)) {
            NullPointerException npe = assertThrows(NullPointerException.class, () -> domain.propose(null, null, Map.of()));
            assertTrue(npe.getMessage().contains("model"), npe.getMessage());
            assertThrows(NullPointerException.class, () -> domain.proposeJson("Todos", null, null));
        }

        try (Domain one = Domain.compile("model C { state { n: int } }");
             Domain files = Domain.fromFiles("../../examples/todos/todos.model")) {
            assertEquals(List.of("C"), one.models());
            assertEquals(List.of("Todos"), files.models());
        }

        EventfoldException.ModelError error = assertThrows(
                EventfoldException.ModelError.class, () -> Domain.compile("bad.model", "model M { state { a: nope } }"));
        Diagnostic d = error.getDiagnostics().get(0);
        assertEquals("bad.model", d.getFile());
        assertEquals(1, d.getLine());
        assertTrue(d.getColumn() > 1);
    }

    @Test
    void engineWithTryWithResources(@TempDir Path tmp) {
        try (Domain domain = Domain.fromFiles(MODEL);
             Engine engine = Engine.open("sqlite:" + tmp.resolve("todos.db"), domain)) {
            Executed done = engine.execute("Todos", "list-1", createNew("a", "Buy milk"));
            assertEquals("Todos-list-1", done.getStream());
            assertEquals(1L, done.getVersion());
            StoredEvent event = done.getEvents().get(0);
            assertEquals("created", event.getType());
            assertEquals("Buy milk", event.getData().get("text"));

            ExecuteOptions options = new ExecuteOptions()
                    .withExpectedVersion(1)
                    .withCommandId("cmd-1")
                    .withMetadata(Map.of("user", "ada"));
            engine.execute("Todos", "list-1", createNew("b", "Walk"), options);

            EventfoldException.VersionConflict conflict = assertThrows(
                    EventfoldException.VersionConflict.class,
                    () -> engine.execute("Todos", "list-1", createNew("c", "x"), new ExecuteOptions().withExpectedVersion(1)));
            assertEquals(1L, conflict.getExpected());
            assertEquals(2L, conflict.getActual());

            Loaded loaded = engine.load("Todos", "list-1");
            assertEquals(2L, loaded.getVersion());
            assertEquals(2L, engine.query("Todos", "list-1", "remaining"));

            assertEquals(2, engine.readStream("Todos-list-1").size());
            assertEquals(1, engine.readStream("Todos-list-1", 2L, null).size());
            assertEquals(2, engine.readAll().size());
            assertEquals(List.of(new StreamInfo("Todos-list-1", 2)), engine.streams());

            List<Executed> batch = engine.executeMany(List.of(
                    new ExecuteRequest("Todos", "list-2", createNew("x", "one")),
                    new ExecuteRequest("Todos", "list-3", createNew("y", "two"))));
            assertEquals(2, batch.size());
        }
    }

    @Test
    void engineOptionsAndClose() {
        try (Domain domain = Domain.fromFiles(MODEL)) {
            Engine engine = Engine.open("memory:", domain, new EngineOptions().withCacheCapacity(10).withSnapshotEvery(0));
            engine.execute("Todos", "1", createNew("a", "x"));
            engine.close();
            EventfoldException.StoreError closed =
                    assertThrows(EventfoldException.StoreError.class, () -> engine.load("Todos", "1"));
            assertTrue(closed.getMessage().contains("closed"));
        }
    }

    @Test
    void readSideFromJava(@TempDir Path tmp) {
        try (Domain domain = Domain.fromFiles(MODEL);
             Engine engine = Engine.open("sqlite:" + tmp.resolve("read.db"), domain,
                     new EngineOptions().withRunProjections(true).withOnProjectionError(OnProjectionError.PARK))) {
            engine.execute("Todos", "a", createNew("milk", "Buy milk"));
            Executed last = engine.execute("Todos", "b", createNew("tea", "Tea"));
            assertTrue(engine.waitFor(last.getPosition()));
            assertTrue(engine.waitFor(last.getPosition(), "todo-board", Duration.ofSeconds(60)));

            List<Map<String, Object>> rows = engine.rows("todo_rows");
            assertEquals(List.of("milk", "tea"), rows.stream().map(r -> r.get("id")).toList());
            assertEquals(1, engine.rows("todo_rows", List.of("b")).size());
            assertEquals(1, engine.rows("todo_rows", List.of(), List.of("a", "milk"), null).size());
            assertEquals(1, engine.rows("todo_rows", List.of(), null, 1).size());
            EventfoldException.UnknownTable unknown =
                    assertThrows(EventfoldException.UnknownTable.class, () -> engine.rows("nope"));
            assertEquals("unknown_table", unknown.getCode());
            ProjectionInfo board = engine.projections().get(0);
            assertEquals("todo-board", board.getName());

            // A subscription is an Iterable: the for-each loop, and break.
            List<Long> seen = new ArrayList<>();
            try (Subscription sub = engine.subscribe("java")) {
                for (StoredEvent e : sub) {
                    seen.add(e.getPosition());
                    if (seen.size() == 2) break;
                }
            }
            assertEquals(List.of(1L, last.getPosition()), seen);
            // The break left the second unacked: the next consumer gets it again.
            assertEquals(1L, engine.subscriptions().get(0).getCheckpoint());
            try (Subscription sub = engine.subscribe("java", "start", List.of("Todos"), null)) {
                Iterator<StoredEvent> it = sub.iterator();
                assertTrue(it.hasNext());
                assertEquals(last.getPosition(), it.next().getPosition());
                List<StoredEvent> none = sub.poll(10, Duration.ZERO);
                assertEquals(0, none.size());
            }
            try (Subscription sub = engine.subscribe("from-one", 1L)) {
                StoredEvent first = sub.poll(1, Duration.ofSeconds(60)).get(0);
                sub.park(first.getPosition(), "cannot handle");
            }
            assertEquals("cannot handle", engine.parked("from-one").get(0).getReason());
        }
    }

    @Test
    void modelChangesFromJava(@TempDir Path tmp) {
        String store = "sqlite:" + tmp.resolve("migrate.db");
        String next = readModel().replace("  query remaining(): int", "  query total(): int = size(todos)\n\n  query remaining(): int");
        try (Domain v1 = Domain.compile("todos.model", readModel());
                Domain v2 = Domain.compile("todos.model", next);
                Engine engine = Engine.open(store, v1, new EngineOptions().withOnModelChange(OnModelChange.FAIL))) {
            engine.execute("Todos", "home", createNew("a", "Sweep"));
            MigrationPlan plan = engine.migratePlan(v2, new MigratePlanOptions().withDifferences(1));
            assertTrue(plan.getOk(), plan.toString());
            assertTrue(plan.getLanguage().contains(new LanguageChange("Todos", "added", "query", "total")), plan.toString());
            assertEquals(0, plan.getBlocking().size());

            Migrated applied = engine.migrateApply(v2);
            assertEquals("Todos", applied.getModels().get(0).getModel());
            assertTrue(applied.getPauseMillis() >= 0.0);
            // This engine runs v2 now: its new query answers.
            assertEquals(1L, engine.query("Todos", "home", "total"));
            List<ModelVersion> versions = engine.modelVersions();
            assertEquals(2, versions.size());
            assertEquals(1L, versions.stream().filter(ModelVersion::getActive).count());
            assertEquals(1L, engine.readStream("Todos-home", null, null, true).get(0).getSchema());
        }
    }

    private static String readModel() {
        try {
            return java.nio.file.Files.readString(MODEL);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
