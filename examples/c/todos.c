/*
 * The todo list of examples/todos, driven from C: compile the model, try a
 * command with the pure Domain API, then run commands against a SQLite
 * event store and read the events back.
 *
 *   cc todos.c $(pkg-config --cflags --libs eventfold) -o todos
 *   ./todos examples/todos/todos.model /tmp/todos.db
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <eventfold.h>

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
  rc = 0;

done:
  eventfold_engine_free(engine);
  eventfold_domain_free(domain);
  return rc;
}
