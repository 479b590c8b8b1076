/* A user's first C program, built against the C tarball from dist/ with
 * pkg-config (packaging/test.sh): once linked to libeventfold.so, once to
 * libeventfold.a. Argument: the store URL. */
#include <eventfold.h>
#include <stdio.h>
#include <string.h>

static const char *SOURCES =
    "[{\"name\": \"todos.model\", \"text\": \"model Todos {\\n"
    "  state { todos: map<string, string> }\\n"
    "  command create-new(id: string, text: string) {\\n"
    "    reject duplicate \\\"todo ${id} already exists\\\" if id in todos\\n"
    "    emit created(id, text)\\n"
    "  }\\n"
    "  event created(id: string, text: string) { set todos[id] = text }\\n"
    "  query remaining(): int = size(todos)\\n"
    "}\\n\"}]";

static int run(eventfold_engine *engine, const char *command) {
  char *out = NULL;
  int status = eventfold_engine_execute(engine, "Todos", "home", command, NULL, &out);
  if (status == EVENTFOLD_ERR_REJECTED) printf("rejected: %s\n", out);
  else if (status != EVENTFOLD_OK) fprintf(stderr, "execute: %s\n", out);
  eventfold_string_free(out);
  return status == EVENTFOLD_OK || status == EVENTFOLD_ERR_REJECTED ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  char *out = NULL;
  eventfold_domain *domain = NULL;
  eventfold_engine *engine = NULL;
  if (eventfold_domain_compile(SOURCES, &domain, &out) != EVENTFOLD_OK) {
    fprintf(stderr, "compile: %s\n", out);
    eventfold_string_free(out);
    return 1;
  }
  if (eventfold_engine_open(argv[1], domain, NULL, &engine, &out) != EVENTFOLD_OK) {
    fprintf(stderr, "open: %s\n", out);
    eventfold_string_free(out);
    eventfold_domain_free(domain);
    return 1;
  }
  int failed = run(engine, "{\"type\": \"create-new\", \"data\": {\"id\": \"a\", \"text\": \"Buy milk\"}}")
             | run(engine, "{\"type\": \"create-new\", \"data\": {\"id\": \"b\", \"text\": \"Call mum\"}}")
             | run(engine, "{\"type\": \"create-new\", \"data\": {\"id\": \"a\", \"text\": \"Again\"}}");
  if (eventfold_engine_query(engine, "Todos", "home", "remaining", NULL, &out) == EVENTFOLD_OK)
    printf("remaining: %s\n", out);
  else
    failed = 1;
  eventfold_string_free(out);
  eventfold_engine_close(engine, &out);
  eventfold_string_free(out);
  eventfold_engine_free(engine);
  eventfold_domain_free(domain);
  printf("eventfold %s\n", eventfold_version());
  return failed;
}
