/*
 * The header `eventfold generate --lang c` writes for examples/todos, used
 * against the real library: every name below comes from todos.h, so a
 * misspelt command, field, reason or table is a compile error here (the
 * test script proves it), not a runtime unknown_command. Built by
 * bindings/c/test.sh with -std=c11 -pedantic -Wall -Wextra -Werror.
 * Arguments: the todos.model path. Prints "N passed, N failed".
 */
#include <stdio.h>
#include <string.h>

#include "eventfold.h"
#include "todos.h"

static int passed, failed;

static void check(int line, int ok, const char *what, const char *out) {
  if (ok) {
    passed++;
  } else {
    failed++;
    fprintf(stderr, "FAIL line %d: %s; out %s\n", line, what, out ? out : "(NULL)");
  }
}
#define CHECK(cond, what, out) check(__LINE__, (cond), (what), (out))
#define HAS(out, s) ((out) != NULL && strstr((out), (s)) != NULL)

/* JSON built from the constants by literal concatenation. */
#define CREATE_KETTLE                                                          \
  "{\"type\":\"" TODOS_CMD_CREATE_NEW "\",\"data\":{\"" TODOS_CMD_CREATE_NEW_F_ID \
  "\":\"kettle\",\"" TODOS_CMD_CREATE_NEW_F_TEXT "\":\"descale the kettle\"}}"
#define COMPLETE_KETTLE                                                        \
  "{\"type\":\"" TODOS_CMD_CHANGE_COMPLETED "\",\"data\":{\"" TODOS_CMD_CHANGE_COMPLETED_F_ID \
  "\":\"kettle\",\"" TODOS_CMD_CHANGE_COMPLETED_F_COMPLETED "\":true}}"

int main(int argc, char **argv) {
  const char *paths[] = {argc > 1 ? argv[1] : "examples/todos/todos.model"};
  eventfold_domain *d = NULL;
  eventfold_engine *e = NULL;
  char *out = NULL;
  int status = eventfold_domain_compile_files(paths, 1, &d, &out);
  CHECK(status == EVENTFOLD_OK, "compile todos.model", out);
  eventfold_string_free(out);
  if (status != EVENTFOLD_OK) return 1;
  status = eventfold_engine_open("memory:", d, NULL, &e, &out);
  CHECK(status == EVENTFOLD_OK, "open memory:", out);
  eventfold_string_free(out);
  if (status != EVENTFOLD_OK) return 1;

  status = eventfold_engine_execute(e, TODOS_MODEL, "kitchen", CREATE_KETTLE, NULL, &out);
  CHECK(status == EVENTFOLD_OK && HAS(out, "\"type\":\"" TODOS_EVENT_CREATED "\""),
        "create-new emits created", out);
  eventfold_string_free(out);

  status = eventfold_engine_execute(e, TODOS_MODEL, "kitchen", CREATE_KETTLE, NULL, &out);
  CHECK(status == EVENTFOLD_ERR_REJECTED &&
            HAS(out, "\"reason\":\"" TODOS_REASON_DUPLICATE "\""),
        "a second create-new is rejected as duplicate", out);
  eventfold_string_free(out);

  status = eventfold_engine_execute(e, TODOS_MODEL, "kitchen", COMPLETE_KETTLE, NULL, &out);
  CHECK(status == EVENTFOLD_OK && HAS(out, TODOS_EVENT_COMPLETED_CHANGED),
        "change-completed emits completed-changed", out);
  eventfold_string_free(out);

  status = eventfold_engine_query(e, TODOS_MODEL, "kitchen", TODOS_QUERY_REMAINING, NULL, &out);
  CHECK(status == EVENTFOLD_OK && out != NULL && strcmp(out, "0") == 0, "remaining is 0", out);
  eventfold_string_free(out);

  status = eventfold_engine_rows(e, TABLE_TODO_ROWS, NULL, &out);
  CHECK(status == EVENTFOLD_OK && HAS(out, "\"" TABLE_TODO_ROWS_COL_LIST_ID "\":\"kitchen\"") &&
            HAS(out, "\"" TABLE_TODO_ROWS_COL_COMPLETED "\":true"),
        "todo_rows has the kettle, done", out);
  eventfold_string_free(out);

  status = eventfold_engine_projections(e, &out);
  CHECK(status == EVENTFOLD_OK && HAS(out, "\"" PROJECTION_TODO_BOARD "\""),
        "the engine lists todo-board", out);
  eventfold_string_free(out);

  CHECK(TODOS_EVENT_CREATED_VERSION == 1, "created is at version 1", NULL);
  status = eventfold_engine_close(e, &out);
  CHECK(status == EVENTFOLD_OK, "close", out);
  eventfold_string_free(out);
  eventfold_engine_free(e);
  eventfold_domain_free(d);
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
