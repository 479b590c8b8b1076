/*
 * The todo list of examples/todos, driven from C: compile the model, try a
 * command with the pure Domain API, then run commands against a SQLite
 * event store, read the events back, and read the table `todo_rows` (kept
 * by the model's inline projection `todo-board`) with the sqlite3 library,
 * as any C program reads an SQL table.
 *
 *   cc examples/c/todos.c $(pkg-config --cflags --libs eventfold sqlite3) -o todos
 *   ./todos examples/todos/todos.model /tmp/todos.db
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <eventfold.h>
#include <sqlite3.h>

/* Prints the error JSON of a failed call and says whether it failed. */
static int failed(int status, char *out, const char *what) {
  if (status == EVENTFOLD_OK) return 0;
  fprintf(stderr, "%s failed (%s): %s\n", what, eventfold_status_code(status),
          out ? out : "");
  eventfold_string_free(out);
  return 1;
}

/* The file's text as a JSON string literal, quotes included. */
static char *json_string_of_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1024, len = 0;
  char *buf = malloc(cap);
  buf[len++] = '"';
  int c;
  while ((c = fgetc(f)) != EOF) {
    if (len + 8 > cap) buf = realloc(buf, cap *= 2);
    if (c == '"' || c == '\\') {
      buf[len++] = '\\';
      buf[len++] = (char)c;
    } else if (c == '\n') {
      buf[len++] = '\\';
      buf[len++] = 'n';
    } else if (c < 0x20) {
      len += (size_t)sprintf(buf + len, "\\u%04x", c);
    } else {
      buf[len++] = (char)c;
    }
  }
  fclose(f);
  buf[len++] = '"';
  buf[len] = 0;
  return buf;
}

/*
 * The projection's table, read with plain SQL. The engine wrote these rows
 * in the same transaction as the events (the projection is inline), so
 * they are there as soon as each execute returned. The columns have the
 * SQL types of MODEL-LANGUAGE.md section 13: bools are INTEGER 0/1,
 * timestamps TEXT, an optional column NULL when empty.
 */
static int print_todo_rows(const char *db_path) {
  sqlite3 *db = NULL;
  if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
    fprintf(stderr, "sqlite3_open_v2 %s: %s\n", db_path, db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return 1;
  }
  sqlite3_stmt *rows = NULL;
  const char *sql =
      "SELECT list_id, id, text, completed, done_at FROM todo_rows ORDER BY list_id, id";
  if (sqlite3_prepare_v2(db, sql, -1, &rows, NULL) != SQLITE_OK) {
    fprintf(stderr, "sqlite3_prepare_v2: %s\n", sqlite3_errmsg(db));
    sqlite3_close(db);
    return 1;
  }
  int step, n = 0;
  while ((step = sqlite3_step(rows)) == SQLITE_ROW) {
    const unsigned char *done_at = sqlite3_column_text(rows, 4);
    printf("todo_rows: %s/%s \"%s\" %s%s%s\n", sqlite3_column_text(rows, 0),
           sqlite3_column_text(rows, 1), sqlite3_column_text(rows, 2),
           sqlite3_column_int(rows, 3) ? "done" : "open", done_at ? " at " : "",
           done_at ? (const char *)done_at : "");
    n++;
  }
  int rc = step == SQLITE_DONE ? 0 : 1;
  if (rc) fprintf(stderr, "sqlite3_step: %s\n", sqlite3_errmsg(db));
  printf("todo_rows: %d rows\n", n);
  sqlite3_finalize(rows);
  sqlite3_close(db);
  return rc;
}

int main(int argc, char **argv) {
  const char *model_path = argc > 1 ? argv[1] : "examples/todos/todos.model";
  const char *db_path = argc > 2 ? argv[2] : "todos.db";
  int rc = 1;
  char *out = NULL;
  eventfold_domain *domain = NULL;
  eventfold_engine *engine = NULL;

  char *text = json_string_of_file(model_path);
  if (!text) {
    perror(model_path);
    return 1;
  }
  char *sources = malloc(strlen(text) + 64);
  sprintf(sources, "[{\"name\": \"todos.model\", \"text\": %s}]", text);
  free(text);
  int status = eventfold_domain_compile(sources, &domain, &out);
  free(sources);
  if (failed(status, out, "compile")) return 1;

  /* The pure API: what would this command emit on an empty list? */
  status = eventfold_domain_propose(
      domain, "Todos", NULL,
      "{\"type\": \"create-new\", \"data\": {\"id\": \"t1\", \"text\": \"Buy milk\"}}", NULL,
      &out);
  if (failed(status, out, "propose")) goto done;
  printf("propose: %s\n", out);
  eventfold_string_free(out);

  /* A rejection is a status and an error JSON with its reason. */
  status = eventfold_domain_propose(
      domain, "Todos", NULL,
      "{\"type\": \"create-new\", \"data\": {\"id\": \"t1\", \"text\": \"  \"}}", NULL, &out);
  printf("rejected (%s): %s\n", eventfold_status_code(status), out);
  eventfold_string_free(out);

  /* The engine: commands appended to a SQLite event store. */
  char store[1024];
  snprintf(store, sizeof store, "sqlite:%s", db_path);
  status = eventfold_engine_open(store, domain, NULL, &engine, &out);
  if (failed(status, out, "open")) goto done;

  const char *commands[] = {
      "{\"type\": \"create-new\", \"data\": {\"id\": \"t1\", \"text\": \"Buy milk\"}}",
      "{\"type\": \"create-new\", \"data\": {\"id\": \"t2\", \"text\": \"Walk the dog\"}}",
      "{\"type\": \"change-completed\", \"data\": {\"id\": \"t1\", \"completed\": true}}",
  };
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
    status = eventfold_engine_execute(engine, "Todos", "home", commands[i], NULL, &out);
    if (failed(status, out, "execute")) goto done;
    printf("execute: %s\n", out);
    eventfold_string_free(out);
  }

  status = eventfold_engine_load(engine, "Todos", "home", &out);
  if (failed(status, out, "load")) goto done;
  printf("load: %s\n", out);
  eventfold_string_free(out);

  status = eventfold_engine_query(engine, "Todos", "home", "remaining", NULL, &out);
  if (failed(status, out, "query")) goto done;
  printf("remaining: %s\n", out);
  eventfold_string_free(out);

  status = eventfold_engine_read_stream(engine, "Todos-home", "{\"limit\": 1}", &out);
  if (failed(status, out, "read_stream")) goto done;
  printf("first event: %s\n", out);
  eventfold_string_free(out);

  status = eventfold_engine_close(engine, &out);
  if (failed(status, out, "close")) goto done;

  /*
   * Read after closing the engine: eventfold carries its own SQLite, and two
   * copies of SQLite in one process must not hold the same file open at
   * once (https://sqlite.org/howtocorrupt.html, section 2.2). Another
   * process may read the file at any time.
   */
  rc = print_todo_rows(db_path);

done:
  eventfold_engine_free(engine);
  eventfold_domain_free(domain);
  return rc;
}
