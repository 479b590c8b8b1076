/*
 * The C ABI as a C program uses it: every verb (the read side's tables,
 * projections and subscriptions too), every error path, NULL pointers,
 * invalid UTF-8 and calls after close. Run under valgrind by
 * bindings/c/test.sh. Prints "N passed, N failed" and exits non-zero on any
 * failure. The first argument is where the SQLite test store may go.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eventfold.h"

static int passed, failed;

#define CHECK(cond, ...)                                                       \
  do {                                                                         \
    if (cond) {                                                                \
      passed++;                                                                \
    } else {                                                                   \
      failed++;                                                                \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                     \
      fprintf(stderr, __VA_ARGS__);                                            \
      fputc('\n', stderr);                                                     \
    }                                                                          \
  } while (0)

/* Checks a call's status and that its output contains `want` (NULL: that
 * the output is NULL), then frees the output. */
static void expect_at(int line, const char *what, int status, int want_status,
                      char *out, const char *want) {
  int ok = status == want_status;
  if (want == NULL)
    ok = ok && out == NULL;
  else
    ok = ok && out != NULL && strstr(out, want) != NULL;
  if (ok) {
    passed++;
  } else {
    failed++;
    fprintf(stderr, "FAIL line %d (%s): status %d (%s), want %d; out %s; want %s\n",
            line, what, status, eventfold_status_code(status), want_status,
            out ? out : "(NULL)", want ? want : "(NULL)");
  }
  eventfold_string_free(out);
}
#define EXPECT(what, call, want_status, want)                                  \
  do {                                                                         \
    char *out = (char *)0x1; /* must be overwritten */                         \
    int status = call;                                                         \
    expect_at(__LINE__, what, status, want_status, out, want);                 \
  } while (0)

static const char *SOURCES =
    "[{\"name\": \"counter.model\", \"text\": "
    "\"model Counter {\\n"
    "  state { count: int; tags: map<string, int> }\\n"
    "  command bump(by: int = 1) {\\n"
    "    reject negative \\\"by must not be negative\\\" if by < 0\\n"
    "    emit bumped(by)\\n"
    "  }\\n"
    "  event bumped(by: int) { set count = count + by }\\n"
    "  query twice(): int = count * 2\\n"
    "  query plus(n: int): int = count + n\\n"
    "}\\n\"}]";

static void test_meta(void) {
  CHECK(strcmp(eventfold_version(), "0.1.0") >= 0, "version %s", eventfold_version());
  CHECK(strcmp(eventfold_status_code(EVENTFOLD_OK), "ok") == 0, "ok");
  CHECK(strcmp(eventfold_status_code(EVENTFOLD_ERR_REJECTED), "rejected") == 0, "rejected");
  CHECK(strcmp(eventfold_status_code(EVENTFOLD_ERR_INTERNAL), "internal") == 0, "internal");
  CHECK(strcmp(eventfold_status_code(EVENTFOLD_ERR_MODEL_CHANGED), "model_changed") == 0, "model_changed");
  CHECK(strcmp(eventfold_status_code(EVENTFOLD_ERR_UNKNOWN_PROJECTION), "unknown_projection") == 0,
        "unknown_projection");
  CHECK(strcmp(eventfold_status_code(EVENTFOLD_ERR_IO_ERROR), "io_error") == 0, "io_error");
  CHECK(eventfold_status_code(19) == NULL, "19 is no status");
  CHECK(eventfold_status_code(-1) == NULL, "-1 is no status");
  eventfold_string_free(NULL);
  eventfold_domain_free(NULL);
  eventfold_engine_free(NULL);
  EXPECT("limits", eventfold_limits(&out), EVENTFOLD_OK, "\"max_input_depth\":64");
  EXPECT("error table", eventfold_error_table(&out), EVENTFOLD_OK,
         "{\"code\":\"store_error\",\"fields\":[\"kind\"]");
  EXPECT("error table kinds", eventfold_error_table(&out), EVENTFOLD_OK,
         "\"kinds\":[\"busy\",\"unavailable\",\"corrupt\",\"closed\",\"io\"]");
  EXPECT("error table io_error", eventfold_error_table(&out), EVENTFOLD_OK,
         "{\"code\":\"io_error\",\"fields\":[\"path\"]");
  CHECK(eventfold_limits(NULL) == EVENTFOLD_ERR_INVALID_JSON, "limits with out NULL");
  passed++;
}

static eventfold_domain *compile_counter(void) {
  eventfold_domain *d = (eventfold_domain *)0x1;
  char *out = (char *)0x1;
  int status = eventfold_domain_compile(SOURCES, &d, &out);
  CHECK(status == EVENTFOLD_OK && d != NULL && out == NULL, "compile: %d %s",
        status, out ? out : "");
  eventfold_string_free(out);
  return d;
}

static void test_compile_errors(void) {
  eventfold_domain *d = (eventfold_domain *)0x1;
  char *out = NULL;

  int status = eventfold_domain_compile(
      "[{\"name\": \"bad.model\", \"text\": \"model X { state { n: nope } "
      "command c() { emit e(q) } }\"}]",
      &d, &out);
  CHECK(status == EVENTFOLD_ERR_MODEL_ERROR && d == NULL, "model_error %d", status);
  CHECK(out && strstr(out, "\"code\":\"model_error\"") && strstr(out, "\"diagnostics\"") &&
            strstr(out, "\"file\":\"bad.model\""),
        "diagnostics: %s", out ? out : "(NULL)");
  eventfold_string_free(out);

  EXPECT("sources not JSON", eventfold_domain_compile("[{", &d, &out),
         EVENTFOLD_ERR_INVALID_JSON, "\"code\":\"invalid_json\"");
  EXPECT("sources wrong shape", eventfold_domain_compile("{\"a\": 1}", &d, &out),
         EVENTFOLD_ERR_INVALID_JSON, "name");
  EXPECT("sources extra key",
         eventfold_domain_compile("[{\"name\":\"a\",\"text\":\"\",\"x\":1}]", &d, &out),
         EVENTFOLD_ERR_INVALID_JSON, "sources");
  EXPECT("sources NULL", eventfold_domain_compile(NULL, &d, &out),
         EVENTFOLD_ERR_INVALID_JSON, "`sources` is NULL");
  EXPECT("domain slot NULL", eventfold_domain_compile(SOURCES, NULL, &out),
         EVENTFOLD_ERR_INVALID_JSON, "NULL");
  EXPECT("sources not UTF-8", eventfold_domain_compile("[\"\xff\xfe\"]", &d, &out),
         EVENTFOLD_ERR_INVALID_JSON, "not valid UTF-8");
  CHECK(d == NULL, "no handle on failure");
  /* out NULL: nothing done, nothing written, nothing leaked. */
  d = (eventfold_domain *)0x1;
  CHECK(eventfold_domain_compile(SOURCES, &d, NULL) == EVENTFOLD_ERR_INVALID_JSON && d == NULL,
        "out NULL");
  /* An empty domain compiles and has no models. */
  status = eventfold_domain_compile("[]", &d, &out);
  CHECK(status == EVENTFOLD_OK && d != NULL, "empty domain");
  eventfold_string_free(out);
  EXPECT("empty models", eventfold_domain_models(d, &out), EVENTFOLD_OK, "[]");
  eventfold_domain_free(d);
}

static const char *COUNTER_TEXT =
    "model Counter {\n"
    "  state { count: int }\n"
    "  command bump(by: int = 1) { emit bumped(by) }\n"
    "  event bumped(by: int) { set count = count + by }\n"
    "}\n";

/* Model files by path (read in core) and one file's text (no JSON to
 * build); a missing file is io_error with its path, and compiles nothing. */
static void test_compile_files_and_text(const char *scratch) {
  char path[600], missing[600];
  snprintf(path, sizeof path, "%.500s.counter.model", scratch);
  snprintf(missing, sizeof missing, "%.500s.no-such.model", scratch);
  remove(missing);
  FILE *f = fopen(path, "w");
  CHECK(f != NULL, "write %s", path);
  if (!f) return;
  fputs(COUNTER_TEXT, f);
  fclose(f);

  eventfold_domain *d = (eventfold_domain *)0x1;
  char *out = (char *)0x1;
  const char *one[] = {path};
  int status = eventfold_domain_compile_files(one, 1, &d, &out);
  CHECK(status == EVENTFOLD_OK && d != NULL && out == NULL, "compile_files: %d %s", status,
        out ? out : "");
  eventfold_string_free(out);
  EXPECT("compile_files models", eventfold_domain_models(d, &out), EVENTFOLD_OK, "Counter");
  eventfold_domain_free(d);

  d = (eventfold_domain *)0x1;
  const char *two[] = {path, missing};
  out = NULL;
  status = eventfold_domain_compile_files(two, 2, &d, &out);
  CHECK(status == EVENTFOLD_ERR_IO_ERROR && d == NULL, "missing file: %d", status);
  CHECK(out && strstr(out, "\"code\":\"io_error\"") && strstr(out, "\"path\":\"") &&
            strstr(out, "no-such.model"),
        "io_error names the file: %s", out ? out : "(NULL)");
  eventfold_string_free(out);
  EXPECT("compile_files NULL paths", eventfold_domain_compile_files(NULL, 1, &d, &out),
         EVENTFOLD_ERR_INVALID_JSON, "NULL");
  status = eventfold_domain_compile_files(NULL, 0, &d, &out);
  CHECK(status == EVENTFOLD_OK || status == EVENTFOLD_ERR_INVALID_JSON, "no paths: %d", status);
  eventfold_string_free(out);
  if (status == EVENTFOLD_OK) eventfold_domain_free(d);

  d = (eventfold_domain *)0x1;
  out = (char *)0x1;
  status = eventfold_domain_compile_text("counter.model", COUNTER_TEXT, &d, &out);
  CHECK(status == EVENTFOLD_OK && d != NULL && out == NULL, "compile_text: %d", status);
  eventfold_string_free(out);
  EXPECT("compile_text propose",
         eventfold_domain_propose(d, "Counter", NULL, "{\"type\":\"bump\"}", NULL, &out),
         EVENTFOLD_OK, "\"by\":1");
  eventfold_domain_free(d);
  status = eventfold_domain_compile_text(NULL, "model X {", &d, &out);
  CHECK(status == EVENTFOLD_ERR_MODEL_ERROR && d == NULL, "compile_text bad: %d", status);
  CHECK(out && strstr(out, "\"file\":\"model\""), "a NULL name is `model`: %s",
        out ? out : "(NULL)");
  eventfold_string_free(out);
  EXPECT("compile_text NULL source", eventfold_domain_compile_text("a", NULL, &d, &out),
         EVENTFOLD_ERR_INVALID_JSON, "NULL");
  remove(path);
}

static void test_domain(eventfold_domain *d) {
  EXPECT("models", eventfold_domain_models(d, &out), EVENTFOLD_OK, "[\"Counter\"]");
  EXPECT("describe", eventfold_domain_describe(d, &out), EVENTFOLD_OK,
         "\"name\":\"bump\"");
  EXPECT("initial_state", eventfold_domain_initial_state(d, "Counter", &out), EVENTFOLD_OK,
         "{\"count\":0,\"tags\":{}}");
  EXPECT("propose", eventfold_domain_propose(d, "Counter", NULL,
                                             "{\"type\":\"bump\",\"data\":{\"by\":2}}", NULL, &out),
         EVENTFOLD_OK, "[{\"type\":\"bumped\",\"data\":{\"by\":2}}]");
  EXPECT("propose default", eventfold_domain_propose(d, "Counter", "{\"count\":5,\"tags\":{}}",
                                                     "{\"type\":\"bump\"}",
                                                     "2026-01-01T00:00:00Z", &out),
         EVENTFOLD_OK, "{\"by\":1}");
  EXPECT("accept", eventfold_domain_accept(d, "Counter", "{\"count\":5,\"tags\":{}}",
                                           "{\"type\":\"bumped\",\"data\":{\"by\":3}}", &out),
         EVENTFOLD_OK, "{\"count\":8,\"tags\":{}}");
  EXPECT("accept initial", eventfold_domain_accept(d, "Counter", NULL,
                                                   "{\"type\":\"bumped\",\"data\":{\"by\":3}}",
                                                   &out),
         EVENTFOLD_OK, "\"count\":3");
  EXPECT("replay",
         eventfold_domain_replay(d, "Counter",
                                 "[{\"type\":\"bumped\",\"data\":{\"by\":3}},"
                                 "{\"type\":\"bumped\",\"data\":{\"by\":4}}]",
                                 NULL, &out),
         EVENTFOLD_OK, "\"count\":7");
  EXPECT("replay on state",
         eventfold_domain_replay(d, "Counter", "[{\"type\":\"bumped\",\"data\":{\"by\":3}}]",
                                 "{\"count\":1,\"tags\":{}}", &out),
         EVENTFOLD_OK, "\"count\":4");
  EXPECT("query", eventfold_domain_query(d, "Counter", "{\"count\":4,\"tags\":{}}", "twice",
                                         NULL, &out),
         EVENTFOLD_OK, "8");
  EXPECT("query args", eventfold_domain_query(d, "Counter", "{\"count\":4,\"tags\":{}}", "plus",
                                              "{\"n\":10}", &out),
         EVENTFOLD_OK, "14");

  /* Every error code a domain can give. */
  EXPECT("rejected", eventfold_domain_propose(d, "Counter", NULL,
                                              "{\"type\":\"bump\",\"data\":{\"by\":-1}}", NULL,
                                              &out),
         EVENTFOLD_ERR_REJECTED, "\"reason\":\"negative\"");
  EXPECT("invalid_json", eventfold_domain_propose(d, "Counter", NULL, "{\"type\":", NULL, &out),
         EVENTFOLD_ERR_INVALID_JSON, "\"code\":\"invalid_json\"");
  EXPECT("invalid_command", eventfold_domain_propose(d, "Counter", NULL,
                                                     "{\"type\":\"bump\",\"data\":{\"by\":\"x\"}}",
                                                     NULL, &out),
         EVENTFOLD_ERR_INVALID_COMMAND, "\"path\":\"data.by\"");
  EXPECT("unknown_command",
         eventfold_domain_propose(d, "Counter", NULL, "{\"type\":\"nope\"}", NULL, &out),
         EVENTFOLD_ERR_UNKNOWN_COMMAND, "\"code\":\"unknown_command\"");
  EXPECT("invalid_event", eventfold_domain_accept(d, "Counter", NULL,
                                                  "{\"type\":\"bumped\",\"data\":{}}", &out),
         EVENTFOLD_ERR_INVALID_EVENT, "\"path\":\"data.by\"");
  EXPECT("unknown_event", eventfold_domain_accept(d, "Counter", NULL, "{\"type\":\"nope\"}", &out),
         EVENTFOLD_ERR_UNKNOWN_EVENT, "\"code\":\"unknown_event\"");
  EXPECT("unknown_model", eventfold_domain_initial_state(d, "Nope", &out),
         EVENTFOLD_ERR_UNKNOWN_MODEL, "\"code\":\"unknown_model\"");
  EXPECT("unknown_query", eventfold_domain_query(d, "Counter", NULL, "nope", NULL, &out),
         EVENTFOLD_ERR_UNKNOWN_QUERY, "\"code\":\"unknown_query\"");
  EXPECT("evaluation_error",
         eventfold_domain_accept(d, "Counter", "{\"count\":9223372036854775807,\"tags\":{}}",
                                 "{\"type\":\"bumped\",\"data\":{\"by\":1}}", &out),
         EVENTFOLD_ERR_EVALUATION_ERROR, "\"code\":\"evaluation_error\"");
  EXPECT("replay not an array", eventfold_domain_replay(d, "Counter", "{}", NULL, &out),
         EVENTFOLD_ERR_INVALID_EVENT, "array");
  EXPECT("bad now", eventfold_domain_propose(d, "Counter", NULL, "{\"type\":\"bump\"}",
                                             "yesterday", &out),
         EVENTFOLD_ERR_INVALID_COMMAND, "\"code\"");
  EXPECT("huge int", eventfold_domain_propose(d, "Counter", NULL,
                                              "{\"type\":\"bump\",\"data\":{\"by\":1e400}}", NULL,
                                              &out),
         EVENTFOLD_ERR_INVALID_JSON, "\"code\"");

  /* A JSON bomb: deep nesting is limit_exceeded, not a stack overflow. */
  {
    size_t depth = 100000;
    char *bomb = malloc(2 * depth + 1);
    memset(bomb, '[', depth);
    memset(bomb + depth, ']', depth);
    bomb[2 * depth] = 0;
    EXPECT("deep JSON", eventfold_domain_replay(d, "Counter", bomb, NULL, &out),
           EVENTFOLD_ERR_LIMIT_EXCEEDED, "\"limit\"");
    free(bomb);
  }
}

/* Version 1's verbs on a model of version 0: every event is at schema 1. */
static void test_versions(eventfold_domain *d) {
  const char *bumped = "[{\"type\":\"bumped\",\"schema\":1,\"data\":{\"by\":3}}]";
  EXPECT("upcast current",
         eventfold_domain_upcast(d, "Counter", "{\"type\":\"bumped\",\"schema\":1,\"data\":{\"by\":3}}",
                                 &out),
         EVENTFOLD_OK, bumped);
  EXPECT("upcast without schema",
         eventfold_domain_upcast(d, "Counter", "{\"type\":\"bumped\",\"data\":{\"by\":3}}", &out),
         EVENTFOLD_OK, bumped);
  EXPECT("upcast with the stored envelope",
         eventfold_domain_upcast(d, "Counter",
                                 "{\"id\":\"e-1\",\"stream\":\"Counter-a\",\"version\":1,\"position\":7,"
                                 "\"metadata\":{},\"type\":\"bumped\",\"schema\":1,\"data\":{\"by\":3}}",
                                 &out),
         EVENTFOLD_OK, bumped);
  EXPECT("upcast schema as text",
         eventfold_domain_upcast(d, "Counter", "{\"type\":\"bumped\",\"schema\":\"1\",\"data\":{\"by\":3}}",
                                 &out),
         EVENTFOLD_ERR_INVALID_EVENT, "\"path\":\"schema\"");
  EXPECT("upcast schema 0",
         eventfold_domain_upcast(d, "Counter", "{\"type\":\"bumped\",\"schema\":0,\"data\":{\"by\":3}}",
                                 &out),
         EVENTFOLD_ERR_INVALID_EVENT, "\"path\":\"schema\"");
  EXPECT("upcast schema 1.5",
         eventfold_domain_upcast(d, "Counter", "{\"type\":\"bumped\",\"schema\":1.5,\"data\":{\"by\":3}}",
                                 &out),
         EVENTFOLD_ERR_INVALID_EVENT, "\"path\":\"schema\"");
  EXPECT("upcast undeclared version",
         eventfold_domain_upcast(d, "Counter", "{\"type\":\"bumped\",\"schema\":2,\"data\":{\"by\":3}}",
                                 &out),
         EVENTFOLD_ERR_UNKNOWN_EVENT, "\"code\":\"unknown_event\"");
  EXPECT("upcast undeclared name",
         eventfold_domain_upcast(d, "Counter", "{\"type\":\"nope\",\"schema\":1}", &out),
         EVENTFOLD_ERR_UNKNOWN_EVENT, "\"code\":\"unknown_event\"");
  EXPECT("upcast checks the data",
         eventfold_domain_upcast(d, "Counter", "{\"type\":\"bumped\",\"data\":{\"by\":\"x\"}}", &out),
         EVENTFOLD_ERR_INVALID_EVENT, "\"path\":\"data.by\"");
  EXPECT("upcast unknown model",
         eventfold_domain_upcast(d, "Nope", "{\"type\":\"bumped\",\"data\":{\"by\":3}}", &out),
         EVENTFOLD_ERR_UNKNOWN_MODEL, "\"code\":\"unknown_model\"");
  EXPECT("upcast not JSON", eventfold_domain_upcast(d, "Counter", "{\"type\":", &out),
         EVENTFOLD_ERR_INVALID_JSON, "\"code\":\"invalid_json\"");
  EXPECT("accept with schema",
         eventfold_domain_accept(d, "Counter", NULL,
                                 "{\"type\":\"bumped\",\"schema\":1,\"data\":{\"by\":3}}", &out),
         EVENTFOLD_OK, "\"count\":3");
  EXPECT("accept with a bad schema",
         eventfold_domain_accept(d, "Counter", NULL,
                                 "{\"type\":\"bumped\",\"schema\":-1,\"data\":{\"by\":3}}", &out),
         EVENTFOLD_ERR_INVALID_EVENT, "\"path\":\"schema\"");
  EXPECT("replay with schemas",
         eventfold_domain_replay(d, "Counter",
                                 "[{\"type\":\"bumped\",\"schema\":1,\"data\":{\"by\":3}},"
                                 "{\"type\":\"bumped\",\"data\":{\"by\":4}}]",
                                 NULL, &out),
         EVENTFOLD_OK, "\"count\":7");
  EXPECT("replay with an undeclared version",
         eventfold_domain_replay(d, "Counter",
                                 "[{\"type\":\"bumped\",\"data\":{\"by\":3}},"
                                 "{\"type\":\"bumped\",\"schema\":9,\"data\":{\"by\":4}}]",
                                 NULL, &out),
         EVENTFOLD_ERR_UNKNOWN_EVENT, "event 1");

  /* A domain without projections: every name is unknown_projection. */
  EXPECT("project unknown", eventfold_domain_project(d, "board", "[]", NULL, &out),
         EVENTFOLD_ERR_UNKNOWN_PROJECTION, "\"code\":\"unknown_projection\"");
  EXPECT("project unknown with tables",
         eventfold_domain_project(d, "board", "[]", "{\"rows\":[]}", &out),
         EVENTFOLD_ERR_UNKNOWN_PROJECTION, "board");

  /* Bad pointers and bytes. */
  EXPECT("upcast NULL domain", eventfold_domain_upcast(NULL, "Counter", "{}", &out),
         EVENTFOLD_ERR_INVALID_JSON, "`domain` is NULL");
  EXPECT("upcast NULL model", eventfold_domain_upcast(d, NULL, "{}", &out),
         EVENTFOLD_ERR_INVALID_JSON, "`model` is NULL");
  EXPECT("upcast NULL event", eventfold_domain_upcast(d, "Counter", NULL, &out),
         EVENTFOLD_ERR_INVALID_JSON, "`event` is NULL");
  EXPECT("upcast event not UTF-8", eventfold_domain_upcast(d, "Counter", "{\"type\":\"\xff\"}", &out),
         EVENTFOLD_ERR_INVALID_JSON, "`event` is not valid UTF-8");
  EXPECT("project NULL domain", eventfold_domain_project(NULL, "board", "[]", NULL, &out),
         EVENTFOLD_ERR_INVALID_JSON, "`domain` is NULL");
  EXPECT("project NULL projection", eventfold_domain_project(d, NULL, "[]", NULL, &out),
         EVENTFOLD_ERR_INVALID_JSON, "`projection` is NULL");
  EXPECT("project NULL events", eventfold_domain_project(d, "board", NULL, NULL, &out),
         EVENTFOLD_ERR_INVALID_JSON, "`events` is NULL");
  EXPECT("project tables not UTF-8", eventfold_domain_project(d, "board", "[]", "\xc3\x28", &out),
         EVENTFOLD_ERR_INVALID_JSON, "`tables` is not valid UTF-8");
  EXPECT("project projection not UTF-8", eventfold_domain_project(d, "bo\x80", "[]", NULL, &out),
         EVENTFOLD_ERR_INVALID_JSON, "`projection` is not valid UTF-8");
  CHECK(eventfold_domain_upcast(d, "Counter", "{}", NULL) == EVENTFOLD_ERR_INVALID_JSON,
        "upcast out NULL");
  CHECK(eventfold_domain_project(d, "board", "[]", NULL, NULL) == EVENTFOLD_ERR_INVALID_JSON,
        "project out NULL");
}

/* Version 1: an event at its second version, an upcast, a drop, a table and
 * a projection. */
static const char *TALLY =
    "[{\"name\": \"tally.model\", \"text\": "
    "\"model Counter {\\n"
    "  state { count: int }\\n"
    "  event bumped@2(by: int, user: string) { set count = count + by }\\n"
    "  upcast bumped@1(by: int) { emit bumped(by, user: \\\"anon\\\") }\\n"
    "  upcast reset@1() { }\\n"
    "}\\n"
    "table tallies { key user: string\\n n: int = 0 }\\n"
    "projection tally inline {\\n"
    "  on Counter.bumped {\\n"
    "    if !tallies.has(user) { insert tallies(user) }\\n"
    "    update tallies[user](n: row.n + by)\\n"
    "  }\\n"
    "}\\n\"}]";

static void test_version_1(void) {
  eventfold_domain *d = NULL;
  char *out = NULL;
  int status = eventfold_domain_compile(TALLY, &d, &out);
  CHECK(status == EVENTFOLD_OK && d != NULL, "compile v1: %d %s", status, out ? out : "");
  eventfold_string_free(out);
  if (!d) return;
  EXPECT("upcast an old shape",
         eventfold_domain_upcast(d, "Counter", "{\"type\":\"bumped\",\"schema\":1,\"data\":{\"by\":2}}",
                                 &out),
         EVENTFOLD_OK, "[{\"type\":\"bumped\",\"schema\":2,\"data\":{\"by\":2,\"user\":\"anon\"}}]");
  EXPECT("upcast a drop", eventfold_domain_upcast(d, "Counter", "{\"type\":\"reset\",\"schema\":1}", &out),
         EVENTFOLD_OK, "[]");
  EXPECT("replay old shapes",
         eventfold_domain_replay(d, "Counter",
                                 "[{\"type\":\"bumped\",\"schema\":1,\"data\":{\"by\":2}},"
                                 "{\"type\":\"reset\",\"schema\":1},"
                                 "{\"type\":\"bumped\",\"data\":{\"by\":3,\"user\":\"ann\"}}]",
                                 NULL, &out),
         EVENTFOLD_OK, "{\"count\":5}");
  const char *events = "[{\"model\":\"Counter\",\"id\":\"a\",\"type\":\"bumped\",\"schema\":1,"
                       "\"data\":{\"by\":2}},"
                       "{\"model\":\"Counter\",\"id\":\"a\",\"type\":\"bumped\","
                       "\"data\":{\"by\":3,\"user\":\"ann\"}}]";
  EXPECT("project", eventfold_domain_project(d, "tally", events, NULL, &out), EVENTFOLD_OK,
         "{\"tallies\":[{\"user\":\"ann\",\"n\":3},{\"user\":\"anon\",\"n\":2}]}");
  EXPECT("project onto tables",
         eventfold_domain_project(d, "tally", events, "{\"tallies\":[{\"user\":\"ann\",\"n\":10}]}", &out),
         EVENTFOLD_OK, "{\"user\":\"ann\",\"n\":13}");
  EXPECT("project nothing", eventfold_domain_project(d, "tally", "[]", NULL, &out), EVENTFOLD_OK,
         "{\"tallies\":[]}");
  EXPECT("project events not JSON", eventfold_domain_project(d, "tally", "[{", NULL, &out),
         EVENTFOLD_ERR_INVALID_JSON, "invalid_json");
  EXPECT("project tables not JSON", eventfold_domain_project(d, "tally", "[]", "{\"tallies\":[", &out),
         EVENTFOLD_ERR_INVALID_JSON, "invalid_json");
  EXPECT("project an event of the wrong shape",
         eventfold_domain_project(d, "tally",
                                  "[{\"model\":\"Counter\",\"id\":\"a\",\"type\":\"bumped\","
                                  "\"data\":{\"by\":\"x\"}}]",
                                  NULL, &out),
         EVENTFOLD_ERR_INVALID_EVENT, "\"path\":\"data.by\"");
  EXPECT("project onto an unknown table", eventfold_domain_project(d, "tally", "[]", "{\"nope\":[]}", &out),
         EVENTFOLD_ERR_UNKNOWN_TABLE, "\"code\":\"unknown_table\"");
  EXPECT("project unknown", eventfold_domain_project(d, "tallies", "[]", NULL, &out),
         EVENTFOLD_ERR_UNKNOWN_PROJECTION, "unknown_projection");
  EXPECT("describe versions", eventfold_domain_describe(d, &out), EVENTFOLD_OK, "\"upcasts\":[");
  EXPECT("describe tables", eventfold_domain_describe(d, &out), EVENTFOLD_OK, "\"projection\":\"tally\"");
  EXPECT("describe projections", eventfold_domain_describe(d, &out), EVENTFOLD_OK, "\"mode\":\"inline\"");
  EXPECT("describe tzdb", eventfold_domain_describe(d, &out), EVENTFOLD_OK, "\"tzdb\":\"");
  eventfold_domain_free(d);
}

static void test_domain_bad_pointers(eventfold_domain *d) {
  EXPECT("models NULL", eventfold_domain_models(NULL, &out), EVENTFOLD_ERR_INVALID_JSON,
         "`domain` is NULL");
  EXPECT("describe NULL", eventfold_domain_describe(NULL, &out), EVENTFOLD_ERR_INVALID_JSON,
         "NULL");
  EXPECT("initial NULL model", eventfold_domain_initial_state(d, NULL, &out),
         EVENTFOLD_ERR_INVALID_JSON, "`model` is NULL");
  EXPECT("propose NULL command", eventfold_domain_propose(d, "Counter", NULL, NULL, NULL, &out),
         EVENTFOLD_ERR_INVALID_JSON, "`command` is NULL");
  EXPECT("propose NULL domain",
         eventfold_domain_propose(NULL, "Counter", NULL, "{\"type\":\"bump\"}", NULL, &out),
         EVENTFOLD_ERR_INVALID_JSON, "NULL");
  EXPECT("accept NULL event", eventfold_domain_accept(d, "Counter", NULL, NULL, &out),
         EVENTFOLD_ERR_INVALID_JSON, "`event` is NULL");
  EXPECT("replay NULL events", eventfold_domain_replay(d, "Counter", NULL, NULL, &out),
         EVENTFOLD_ERR_INVALID_JSON, "`events` is NULL");
  EXPECT("query NULL name", eventfold_domain_query(d, "Counter", NULL, NULL, NULL, &out),
         EVENTFOLD_ERR_INVALID_JSON, "`name` is NULL");
  CHECK(eventfold_domain_models(d, NULL) == EVENTFOLD_ERR_INVALID_JSON, "out NULL");
  CHECK(eventfold_domain_propose(d, "Counter", NULL, "{\"type\":\"bump\"}", NULL, NULL) ==
            EVENTFOLD_ERR_INVALID_JSON,
        "out NULL on propose");

  /* Invalid UTF-8 in every kind of argument. */
  EXPECT("model not UTF-8", eventfold_domain_initial_state(d, "Count\xc3\x28", &out),
         EVENTFOLD_ERR_INVALID_JSON, "`model` is not valid UTF-8");
  EXPECT("command not UTF-8",
         eventfold_domain_propose(d, "Counter", NULL, "{\"type\":\"bu\xffmp\"}", NULL, &out),
         EVENTFOLD_ERR_INVALID_JSON, "`command` is not valid UTF-8");
  EXPECT("state not UTF-8",
         eventfold_domain_propose(d, "Counter", "\xed\xa0\x80", "{\"type\":\"bump\"}", NULL, &out),
         EVENTFOLD_ERR_INVALID_JSON, "`state` is not valid UTF-8");
  EXPECT("now not UTF-8",
         eventfold_domain_propose(d, "Counter", NULL, "{\"type\":\"bump\"}", "\x80", &out),
         EVENTFOLD_ERR_INVALID_JSON, "`now` is not valid UTF-8");
  EXPECT("args not UTF-8", eventfold_domain_query(d, "Counter", NULL, "plus", "\xc0\xaf", &out),
         EVENTFOLD_ERR_INVALID_JSON, "`args` is not valid UTF-8");
  /* A NUL escaped inside JSON is only a character. */
  EXPECT("escaped NUL", eventfold_domain_propose(d, "Counter", NULL,
                                                 "{\"type\":\"bu\\u0000mp\"}", NULL, &out),
         EVENTFOLD_ERR_UNKNOWN_COMMAND, "unknown_command");
}

/* ---- engine ---- */

typedef struct {
  eventfold_engine *engine;
  int index;
  int failures;
} worker_arg;

static void *worker(void *p) {
  worker_arg *arg = p;
  for (int i = 0; i < 50; i++) {
    char *out = NULL;
    int status = eventfold_engine_execute(arg->engine, "Counter", "shared",
                                          "{\"type\":\"bump\"}", NULL, &out);
    if (status != EVENTFOLD_OK) arg->failures++;
    eventfold_string_free(out);
  }
  return NULL;
}

static void test_engine(eventfold_domain *d, const char *store) {
  eventfold_engine *e = (eventfold_engine *)0x1;
  char *out = (char *)0x1;
  int status = eventfold_engine_open(store, d, "{\"snapshot_every\": 10}", &e, &out);
  CHECK(status == EVENTFOLD_OK && e != NULL && out == NULL, "open %s: %d %s", store, status,
        out ? out : "");
  eventfold_string_free(out);
  if (status != EVENTFOLD_OK) return;

  EXPECT("execute", eventfold_engine_execute(e, "Counter", "a", "{\"type\":\"bump\",\"data\":{\"by\":2}}",
                                             NULL, &out),
         EVENTFOLD_OK, "\"stream\":\"Counter-a\"");
  EXPECT("execute options",
         eventfold_engine_execute(e, "Counter", "a", "{\"type\":\"bump\"}",
                                  "{\"expected_version\":1,\"command_id\":\"c-1\","
                                  "\"metadata\":{\"user\":\"ann\"}}",
                                  &out),
         EVENTFOLD_OK, "\"version\":2");
  EXPECT("execute idempotent",
         eventfold_engine_execute(e, "Counter", "a", "{\"type\":\"bump\"}",
                                  "{\"command_id\":\"c-1\"}", &out),
         EVENTFOLD_OK, "\"version\":2");
  EXPECT("version_conflict",
         eventfold_engine_execute(e, "Counter", "a", "{\"type\":\"bump\"}",
                                  "{\"expected_version\":0}", &out),
         EVENTFOLD_ERR_VERSION_CONFLICT, "\"actual\":2");
  EXPECT("execute rejected",
         eventfold_engine_execute(e, "Counter", "a", "{\"type\":\"bump\",\"data\":{\"by\":-5}}",
                                  NULL, &out),
         EVENTFOLD_ERR_REJECTED, "\"reason\":\"negative\"");
  EXPECT("execute_many",
         eventfold_engine_execute_many(
             e,
             "[{\"model\":\"Counter\",\"id\":\"b\",\"command\":{\"type\":\"bump\"}},"
             "{\"model\":\"Counter\",\"id\":\"c\",\"command\":{\"type\":\"bump\"},"
             "\"options\":{\"metadata\":{\"k\":\"v\"}}}]",
             &out),
         EVENTFOLD_OK, "\"stream\":\"Counter-c\"");
  EXPECT("execute_many all or none",
         eventfold_engine_execute_many(
             e,
             "[{\"model\":\"Counter\",\"id\":\"d\",\"command\":{\"type\":\"bump\"}},"
             "{\"model\":\"Counter\",\"id\":\"d\",\"command\":{\"type\":\"nope\"}}]",
             &out),
         EVENTFOLD_ERR_UNKNOWN_COMMAND, "unknown_command");
  EXPECT("nothing of the failed batch", eventfold_engine_load(e, "Counter", "d", &out),
         EVENTFOLD_OK, "\"version\":0");
  EXPECT("load", eventfold_engine_load(e, "Counter", "a", &out), EVENTFOLD_OK,
         "{\"state\":{\"count\":3,\"tags\":{}},\"version\":2}");
  EXPECT("query", eventfold_engine_query(e, "Counter", "a", "plus", "{\"n\":1}", &out),
         EVENTFOLD_OK, "4");
  EXPECT("query no args", eventfold_engine_query(e, "Counter", "a", "twice", NULL, &out),
         EVENTFOLD_OK, "6");
  EXPECT("read_stream", eventfold_engine_read_stream(e, "Counter-a", NULL, &out), EVENTFOLD_OK,
         "\"user\":\"ann\"");
  EXPECT("read_stream from", eventfold_engine_read_stream(e, "Counter-a",
                                                          "{\"from_version\":2,\"limit\":1}",
                                                          &out),
         EVENTFOLD_OK, "\"version\":2");
  EXPECT("read_all", eventfold_engine_read_all(e, NULL, &out), EVENTFOLD_OK,
         "\"position\":");
  EXPECT("read_all limit", eventfold_engine_read_all(e, "{\"from_position\":1,\"limit\":2}", &out),
         EVENTFOLD_OK, "\"type\":\"bumped\"");
  EXPECT("streams", eventfold_engine_streams(e, NULL, &out), EVENTFOLD_OK,
         "{\"stream\":\"Counter-a\",\"version\":2}");
  EXPECT("streams of a model", eventfold_engine_streams(e, "{\"model\":\"Counter\"}", &out),
         EVENTFOLD_OK, "Counter-b");

  /* Errors and bad pointers. */
  EXPECT("engine unknown_model", eventfold_engine_load(e, "Nope", "a", &out),
         EVENTFOLD_ERR_UNKNOWN_MODEL, "unknown_model");
  EXPECT("engine bad options", eventfold_engine_execute(e, "Counter", "a", "{\"type\":\"bump\"}",
                                                        "{\"expected_version\":", &out),
         EVENTFOLD_ERR_INVALID_JSON, "invalid_json");
  EXPECT("engine NULL", eventfold_engine_load(NULL, "Counter", "a", &out),
         EVENTFOLD_ERR_INVALID_JSON, "`engine` is NULL");
  EXPECT("engine NULL id", eventfold_engine_load(e, "Counter", NULL, &out),
         EVENTFOLD_ERR_INVALID_JSON, "`id` is NULL");
  EXPECT("engine id not UTF-8", eventfold_engine_load(e, "Counter", "\xff", &out),
         EVENTFOLD_ERR_INVALID_JSON, "`id` is not valid UTF-8");
  EXPECT("execute NULL command", eventfold_engine_execute(e, "Counter", "a", NULL, NULL, &out),
         EVENTFOLD_ERR_INVALID_JSON, "`command` is NULL");
  EXPECT("execute_many NULL", eventfold_engine_execute_many(e, NULL, &out),
         EVENTFOLD_ERR_INVALID_JSON, "`requests` is NULL");
  EXPECT("read_stream NULL", eventfold_engine_read_stream(e, NULL, NULL, &out),
         EVENTFOLD_ERR_INVALID_JSON, "`stream` is NULL");
  EXPECT("read_all not UTF-8", eventfold_engine_read_all(e, "\xfe", &out),
         EVENTFOLD_ERR_INVALID_JSON, "`options` is not valid UTF-8");

  /* Model changes (bindings/c/tests/test_model_changes.c runs them whole):
   * the boundary's own checks. */
  EXPECT("read_stream raw", eventfold_engine_read_stream(e, "Counter-a", "{\"raw\":true}", &out),
         EVENTFOLD_OK, "\"schema\":1");
  EXPECT("model_versions", eventfold_engine_model_versions(e, &out), EVENTFOLD_OK,
         "\"model\":\"Counter\"");
  EXPECT("migrate_plan to the same model", eventfold_engine_migrate_plan(e, d, NULL, &out),
         EVENTFOLD_OK, "\"ok\":true");
  EXPECT("migrate_plan NULL engine", eventfold_engine_migrate_plan(NULL, d, NULL, &out),
         EVENTFOLD_ERR_INVALID_JSON, "`engine` is NULL");
  EXPECT("migrate_plan NULL next", eventfold_engine_migrate_plan(e, NULL, NULL, &out),
         EVENTFOLD_ERR_INVALID_JSON, "`next` is NULL");
  EXPECT("migrate_plan options not UTF-8", eventfold_engine_migrate_plan(e, d, "\xff", &out),
         EVENTFOLD_ERR_INVALID_JSON, "`options` is not valid UTF-8");
  EXPECT("migrate_plan options not JSON", eventfold_engine_migrate_plan(e, d, "{\"differences\":", &out),
         EVENTFOLD_ERR_INVALID_JSON, "invalid_json");
  EXPECT("migrate_apply NULL engine", eventfold_engine_migrate_apply(NULL, d, NULL, &out),
         EVENTFOLD_ERR_INVALID_JSON, "`engine` is NULL");
  EXPECT("migrate_apply NULL next", eventfold_engine_migrate_apply(e, NULL, NULL, &out),
         EVENTFOLD_ERR_INVALID_JSON, "`next` is NULL");
  EXPECT("migrate_apply options not UTF-8", eventfold_engine_migrate_apply(e, d, "\xc3\x28", &out),
         EVENTFOLD_ERR_INVALID_JSON, "`options` is not valid UTF-8");
  EXPECT("migrate_apply unknown option", eventfold_engine_migrate_apply(e, d, "{\"nope\":1}", &out),
         EVENTFOLD_ERR_INVALID_COMMAND, "\"code\":\"invalid_command\"");
  EXPECT("model_versions NULL engine", eventfold_engine_model_versions(NULL, &out),
         EVENTFOLD_ERR_INVALID_JSON, "`engine` is NULL");
  CHECK(eventfold_engine_migrate_plan(e, d, NULL, NULL) == EVENTFOLD_ERR_INVALID_JSON, "plan out NULL");
  CHECK(eventfold_engine_migrate_apply(e, d, NULL, NULL) == EVENTFOLD_ERR_INVALID_JSON, "apply out NULL");
  CHECK(eventfold_engine_model_versions(e, NULL) == EVENTFOLD_ERR_INVALID_JSON, "versions out NULL");

  /* The domain the engine runs now: a new handle, freed on its own. */
  {
    eventfold_domain *now = (eventfold_domain *)0x1; /* must be overwritten */
    EXPECT("engine_domain", eventfold_engine_domain(e, &now, &out), EVENTFOLD_OK, NULL);
    CHECK(now != NULL && now != d, "engine_domain gives a new handle");
    EXPECT("engine_domain describes Counter", eventfold_domain_models(now, &out), EVENTFOLD_OK,
           "[\"Counter\"]");
    eventfold_domain_free(now);
    now = (eventfold_domain *)0x1;
    EXPECT("engine_domain NULL engine", eventfold_engine_domain(NULL, &now, &out),
           EVENTFOLD_ERR_INVALID_JSON, "`engine` is NULL");
    CHECK(now == NULL, "no domain on failure");
    EXPECT("engine_domain NULL slot", eventfold_engine_domain(e, NULL, &out),
           EVENTFOLD_ERR_INVALID_JSON, "`domain` (the handle to write) is NULL");
    now = (eventfold_domain *)0x1;
    CHECK(eventfold_engine_domain(e, &now, NULL) == EVENTFOLD_ERR_INVALID_JSON && now == NULL,
          "engine_domain out NULL");
  }

  /* Eight threads on one stream: no lost update. */
  {
    pthread_t threads[8];
    worker_arg args[8];
    for (int i = 0; i < 8; i++) {
      args[i] = (worker_arg){e, i, 0};
      pthread_create(&threads[i], NULL, worker, &args[i]);
    }
    int failures = 0;
    for (int i = 0; i < 8; i++) {
      pthread_join(threads[i], NULL);
      failures += args[i].failures;
    }
    CHECK(failures == 0, "%d failed executes across threads", failures);
    EXPECT("no lost update", eventfold_engine_load(e, "Counter", "shared", &out), EVENTFOLD_OK,
           "\"count\":400");
  }

  /* A domain handle taken from the engine outlives it. */
  eventfold_domain *kept = NULL;
  EXPECT("engine_domain before close", eventfold_engine_domain(e, &kept, &out), EVENTFOLD_OK, NULL);

  /* After close: every call is an error, the handle stays valid. */
  EXPECT("close", eventfold_engine_close(e, &out), EVENTFOLD_OK, NULL);
  EXPECT("close twice", eventfold_engine_close(e, &out), EVENTFOLD_OK, NULL);
  EXPECT("execute after close",
         eventfold_engine_execute(e, "Counter", "a", "{\"type\":\"bump\"}", NULL, &out),
         EVENTFOLD_ERR_STORE_ERROR, "closed");
  EXPECT("execute_many after close", eventfold_engine_execute_many(e, "[]", &out),
         EVENTFOLD_ERR_STORE_ERROR, "closed");
  EXPECT("load after close", eventfold_engine_load(e, "Counter", "a", &out),
         EVENTFOLD_ERR_STORE_ERROR, "closed");
  EXPECT("query after close", eventfold_engine_query(e, "Counter", "a", "twice", NULL, &out),
         EVENTFOLD_ERR_STORE_ERROR, "closed");
  EXPECT("read_stream after close", eventfold_engine_read_stream(e, "Counter-a", NULL, &out),
         EVENTFOLD_ERR_STORE_ERROR, "closed");
  EXPECT("read_all after close", eventfold_engine_read_all(e, NULL, &out),
         EVENTFOLD_ERR_STORE_ERROR, "closed");
  EXPECT("streams after close", eventfold_engine_streams(e, NULL, &out),
         EVENTFOLD_ERR_STORE_ERROR, "closed");
  EXPECT("migrate_plan after close", eventfold_engine_migrate_plan(e, d, NULL, &out),
         EVENTFOLD_ERR_STORE_ERROR, "closed");
  EXPECT("migrate_apply after close", eventfold_engine_migrate_apply(e, d, NULL, &out),
         EVENTFOLD_ERR_STORE_ERROR, "closed");
  EXPECT("model_versions after close", eventfold_engine_model_versions(e, &out),
         EVENTFOLD_ERR_STORE_ERROR, "closed");
  {
    eventfold_domain *now = (eventfold_domain *)0x1;
    EXPECT("engine_domain after close", eventfold_engine_domain(e, &now, &out),
           EVENTFOLD_ERR_STORE_ERROR, "\"kind\":\"closed\"");
    CHECK(now == NULL, "no domain after close");
  }
  eventfold_engine_free(e);
  EXPECT("engine's domain after engine_free", eventfold_domain_models(kept, &out), EVENTFOLD_OK,
         "[\"Counter\"]");
  eventfold_domain_free(kept);
}

/* An engine keeps its own reference to the domain: freeing the domain first is fine. */
static void test_engine_outlives_domain(void) {
  eventfold_domain *d = compile_counter();
  eventfold_engine *e = NULL;
  EXPECT("open", eventfold_engine_open("memory:", d, NULL, &e, &out), EVENTFOLD_OK, NULL);
  eventfold_domain_free(d);
  EXPECT("execute after domain_free",
         eventfold_engine_execute(e, "Counter", "a", "{\"type\":\"bump\"}", NULL, &out), EVENTFOLD_OK,
         "\"version\":1");
  /* Freed without close: free closes it. */
  eventfold_engine_free(e);
}

static void test_engine_open_errors(eventfold_domain *d) {
  eventfold_engine *e = (eventfold_engine *)0x1;
  EXPECT("open NULL store", eventfold_engine_open(NULL, d, NULL, &e, &out),
         EVENTFOLD_ERR_INVALID_JSON, "`store` is NULL");
  CHECK(e == NULL, "no engine on failure");
  EXPECT("open NULL domain", eventfold_engine_open("memory:", NULL, NULL, &e, &out),
         EVENTFOLD_ERR_INVALID_JSON, "`domain` is NULL");
  EXPECT("open NULL slot", eventfold_engine_open("memory:", d, NULL, NULL, &out),
         EVENTFOLD_ERR_INVALID_JSON, "NULL");
  EXPECT("open bad options", eventfold_engine_open("memory:", d, "{\"cache\": 1}", &e, &out),
         EVENTFOLD_ERR_INVALID_COMMAND, "unknown option `cache`; the options are cache_capacity");
  EXPECT("open bad on_model_change",
         eventfold_engine_open("memory:", d, "{\"on_model_change\": \"ignore\"}", &e, &out),
         EVENTFOLD_ERR_INVALID_COMMAND, "\"path\":\"options.on_model_change\"");
  EXPECT("open follow", eventfold_engine_open("memory:", d, "{\"on_model_change\": \"follow\"}", &e, &out),
         EVENTFOLD_OK, NULL);
  eventfold_engine_free(e);
  e = (eventfold_engine *)0x1;
  EXPECT("open negative option",
         eventfold_engine_open("memory:", d, "{\"max_attempts\": -1}", &e, &out),
         EVENTFOLD_ERR_INVALID_COMMAND, "\"path\":\"options.max_attempts\"");
  EXPECT("open options not JSON", eventfold_engine_open("memory:", d, "{", &e, &out),
         EVENTFOLD_ERR_INVALID_JSON, "options");
  EXPECT("open store not UTF-8", eventfold_engine_open("sqlite:\xff", d, NULL, &e, &out),
         EVENTFOLD_ERR_INVALID_JSON, "`store` is not valid UTF-8");
  EXPECT("open unknown store", eventfold_engine_open("nosuch://x", d, NULL, &e, &out),
         EVENTFOLD_ERR_STORE_ERROR, "store_error");
  EXPECT("open unwritable sqlite",
         eventfold_engine_open("sqlite:/nonexistent/dir/x.db", d, NULL, &e, &out),
         EVENTFOLD_ERR_STORE_ERROR, "store_error");
  CHECK(e == NULL, "no engine on failure");
  /* close and free with NULL */
  EXPECT("close NULL", eventfold_engine_close(NULL, &out), EVENTFOLD_ERR_INVALID_JSON, "NULL");
}

/* ---- the read side: tables, projections, subscriptions ---- */

/* A counter with one table kept inline and one kept async, by the same fold. */
static const char *BOARD =
    "[{\"name\": \"board.model\", \"text\": "
    "\"model Counter {\\n"
    "  state { count: int }\\n"
    "  command bump(by: int = 1, user: string = \\\"anon\\\") { emit bumped(by, user) }\\n"
    "  command fail() { emit failed() }\\n"
    "  event bumped(by: int, user: string) { set count = count + by }\\n"
    "  event failed() { }\\n"
    "}\\n"
    "table tallies { key user: string\\n n: int = 0 }\\n"
    "projection tally inline {\\n"
    "  on Counter.bumped {\\n"
    "    if !tallies.has(user) { insert tallies(user) }\\n"
    "    update tallies[user](n: row.n + by)\\n"
    "  }\\n"
    "}\\n"
    "table late_tallies { key user: string\\n n: int = 0 }\\n"
    "projection late-tally async {\\n"
    "  on Counter.bumped {\\n"
    "    if !late_tallies.has(user) { insert late_tallies(user) }\\n"
    "    update late_tallies[user](n: row.n + by)\\n"
    "  }\\n"
    "}\\n\"}]";

static const char *TALLIES = "[{\"user\":\"ann\",\"n\":3},{\"user\":\"bob\",\"n\":3}]";

static void bump(eventfold_engine *e, const char *id, const char *command, const char *want) {
  EXPECT("bump", eventfold_engine_execute(e, "Counter", id, command, NULL, &out), EVENTFOLD_OK, want);
}

/* Rows, projections, wait_for and rebuild on a fresh store. */
static void test_tables(eventfold_engine *e) {
  bump(e, "a", "{\"type\":\"bump\",\"data\":{\"by\":2,\"user\":\"ann\"}}", "\"position\":1");
  bump(e, "a", "{\"type\":\"bump\",\"data\":{\"by\":3,\"user\":\"bob\"}}", "\"position\":2");
  bump(e, "b", "{\"type\":\"bump\",\"data\":{\"by\":1,\"user\":\"ann\"}}", "\"position\":3");
  EXPECT("execute_many position",
         eventfold_engine_execute_many(e, "[{\"model\":\"Counter\",\"id\":\"c\",\"command\":{\"type\":\"fail\"}}]",
                                       &out),
         EVENTFOLD_OK, "\"position\":4");

  EXPECT("rows inline", eventfold_engine_rows(e, "tallies", NULL, &out), EVENTFOLD_OK, TALLIES);
  EXPECT("rows key", eventfold_engine_rows(e, "tallies", "{\"key\":[\"bob\"]}", &out), EVENTFOLD_OK,
         "[{\"user\":\"bob\",\"n\":3}]");
  EXPECT("rows lone key", eventfold_engine_rows(e, "tallies", "{\"key\":\"ann\"}", &out), EVENTFOLD_OK,
         "[{\"user\":\"ann\",\"n\":3}]");
  EXPECT("rows after", eventfold_engine_rows(e, "tallies", "{\"after\":[\"ann\"]}", &out), EVENTFOLD_OK,
         "[{\"user\":\"bob\",\"n\":3}]");
  EXPECT("rows limit", eventfold_engine_rows(e, "tallies", "{\"limit\":1}", &out), EVENTFOLD_OK,
         "[{\"user\":\"ann\",\"n\":3}]");
  EXPECT("rows key nobody", eventfold_engine_rows(e, "tallies", "{\"key\":[\"cy\"]}", &out), EVENTFOLD_OK,
         "[]");
  EXPECT("rows unknown table", eventfold_engine_rows(e, "nope", NULL, &out), EVENTFOLD_ERR_UNKNOWN_TABLE,
         "\"code\":\"unknown_table\"");
  EXPECT("rows key of the wrong type", eventfold_engine_rows(e, "tallies", "{\"key\":[1]}", &out),
         EVENTFOLD_ERR_INVALID_COMMAND, "\"path\":\"options.key[0]\"");
  EXPECT("rows options not JSON", eventfold_engine_rows(e, "tallies", "{\"key\":", &out),
         EVENTFOLD_ERR_INVALID_JSON, "invalid_json");

  /* Read-your-writes on the async table. */
  EXPECT("wait_for", eventfold_engine_wait_for(e, 4, NULL, &out), EVENTFOLD_OK, "true");
  EXPECT("rows async", eventfold_engine_rows(e, "late_tallies", NULL, &out), EVENTFOLD_OK,
         "[{\"user\":\"ann\",\"n\":3},{\"user\":\"bob\",\"n\":3}]");
  EXPECT("wait_for one", eventfold_engine_wait_for(e, 4, "{\"projection\":\"late-tally\",\"timeout\":60000}", &out),
         EVENTFOLD_OK, "true");
  EXPECT("wait_for inline", eventfold_engine_wait_for(e, 4, "{\"projection\":\"tally\"}", &out), EVENTFOLD_OK,
         "true");
  /* A position no event has: the answer is false whatever the machine's speed. */
  EXPECT("wait_for past the head", eventfold_engine_wait_for(e, 1000, "{\"timeout\":10}", &out), EVENTFOLD_OK,
         "false");
  EXPECT("wait_for unknown", eventfold_engine_wait_for(e, 1, "{\"projection\":\"nope\"}", &out),
         EVENTFOLD_ERR_UNKNOWN_PROJECTION, "\"code\":\"unknown_projection\"");
  EXPECT("wait_for bad option", eventfold_engine_wait_for(e, 1, "{\"timeout\":\"soon\"}", &out),
         EVENTFOLD_ERR_INVALID_COMMAND, "\"path\":\"options.timeout\"");

  EXPECT("projections", eventfold_engine_projections(e, &out), EVENTFOLD_OK, "\"name\":\"tally\"");
  EXPECT("projections async", eventfold_engine_projections(e, &out), EVENTFOLD_OK, "\"mode\":\"async\"");
  EXPECT("projections live", eventfold_engine_projections(e, &out), EVENTFOLD_OK, "\"status\":\"live\"");

  EXPECT("rebuild", eventfold_engine_rebuild(e, "tally", &out), EVENTFOLD_OK, "\"projection\":\"tally\"");
  EXPECT("rebuild pause", eventfold_engine_rebuild(e, "late-tally", &out), EVENTFOLD_OK, "\"pause_millis\":");
  EXPECT("rows after rebuild", eventfold_engine_rows(e, "tallies", NULL, &out), EVENTFOLD_OK, TALLIES);
  EXPECT("async rows after rebuild", eventfold_engine_rows(e, "late_tallies", NULL, &out), EVENTFOLD_OK, TALLIES);
  EXPECT("rebuild unknown", eventfold_engine_rebuild(e, "nope", &out), EVENTFOLD_ERR_UNKNOWN_PROJECTION,
         "unknown_projection");

  EXPECT("rows NULL table", eventfold_engine_rows(e, NULL, NULL, &out), EVENTFOLD_ERR_INVALID_JSON,
         "`table` is NULL");
  EXPECT("rows table not UTF-8", eventfold_engine_rows(e, "\xff", NULL, &out), EVENTFOLD_ERR_INVALID_JSON,
         "`table` is not valid UTF-8");
  EXPECT("rows NULL engine", eventfold_engine_rows(NULL, "tallies", NULL, &out), EVENTFOLD_ERR_INVALID_JSON,
         "`engine` is NULL");
  EXPECT("projections NULL engine", eventfold_engine_projections(NULL, &out), EVENTFOLD_ERR_INVALID_JSON,
         "`engine` is NULL");
  EXPECT("wait_for options not UTF-8", eventfold_engine_wait_for(e, 1, "\xc3\x28", &out),
         EVENTFOLD_ERR_INVALID_JSON, "`options` is not valid UTF-8");
  EXPECT("rebuild NULL", eventfold_engine_rebuild(e, NULL, &out), EVENTFOLD_ERR_INVALID_JSON,
         "`projection` is NULL");
  CHECK(eventfold_engine_rows(e, "tallies", NULL, NULL) == EVENTFOLD_ERR_INVALID_JSON, "rows out NULL");
}

static eventfold_subscription *subscribe(eventfold_engine *e, const char *name, const char *options) {
  eventfold_subscription *s = (eventfold_subscription *)0x1;
  char *out = (char *)0x1;
  int status = eventfold_engine_subscribe(e, name, options, &s, &out);
  CHECK(status == EVENTFOLD_OK && s != NULL && out == NULL, "subscribe %s: %d %s", name, status,
        out ? out : "");
  eventfold_string_free(out);
  return status == EVENTFOLD_OK ? s : NULL;
}

typedef struct {
  eventfold_subscription *sub;
  int status;
  char *out;
} poller_arg;

static void *poller(void *p) {
  poller_arg *arg = p;
  arg->status = eventfold_subscription_poll(arg->sub, 10, 120000, &arg->out);
  return NULL;
}

/* Subscriptions after test_tables' four events: acks, resumes, parks. */
static void test_subscriptions(eventfold_engine *e) {
  int status;
  eventfold_subscription *s = subscribe(e, "mailer", NULL);
  if (!s) return;
  EXPECT("poll", eventfold_subscription_poll(s, 2, 60000, &out), EVENTFOLD_OK,
         "\"position\":1");
  EXPECT("poll next", eventfold_subscription_poll(s, 10, 60000, &out), EVENTFOLD_OK, "\"position\":3");
  EXPECT("ack", eventfold_subscription_ack(s, 2, &out), EVENTFOLD_OK, NULL);
  EXPECT("subscriptions", eventfold_engine_subscriptions(e, &out), EVENTFOLD_OK, "\"name\":\"mailer\"");
  EXPECT("subscriptions checkpoint", eventfold_engine_subscriptions(e, &out), EVENTFOLD_OK,
         "\"checkpoint\":2");
  EXPECT("close", eventfold_subscription_close(s, &out), EVENTFOLD_OK, NULL);
  EXPECT("close twice", eventfold_subscription_close(s, &out), EVENTFOLD_OK, NULL);
  EXPECT("poll after close", eventfold_subscription_poll(s, 10, 0, &out), EVENTFOLD_ERR_STORE_ERROR,
         "store_error");
  EXPECT("ack after close", eventfold_subscription_ack(s, 3, &out), EVENTFOLD_ERR_STORE_ERROR, "store_error");
  eventfold_subscription_free(s);

  /* A new handle of the name resumes after the checkpoint: position 3 again. */
  s = subscribe(e, "mailer", NULL);
  if (!s) return;
  EXPECT("resume", eventfold_subscription_poll(s, 1, 60000, &out), EVENTFOLD_OK,
         "\"position\":3");
  EXPECT("park", eventfold_subscription_park(s, 3, "no such address", &out), EVENTFOLD_OK, NULL);
  EXPECT("parked", eventfold_engine_parked(e, "mailer", &out), EVENTFOLD_OK, "\"reason\":\"no such address\"");
  EXPECT("parked position", eventfold_engine_parked(e, "mailer", &out), EVENTFOLD_OK, "\"position\":3");
  EXPECT("parked nothing", eventfold_engine_parked(e, "nobody", &out), EVENTFOLD_OK, "[]");
  EXPECT("checkpoint after park", eventfold_engine_subscriptions(e, &out), EVENTFOLD_OK, "\"checkpoint\":3");
  EXPECT("park NULL reason", eventfold_subscription_park(s, 4, NULL, &out), EVENTFOLD_ERR_INVALID_JSON,
         "`reason` is NULL");

  /* A second consumer of the name gets nothing while the first holds it. */
  eventfold_subscription *rival = subscribe(e, "mailer", NULL);
  if (rival) {
    EXPECT("rival waits", eventfold_subscription_poll(rival, 10, 0, &out), EVENTFOLD_OK, "[]");
    eventfold_subscription_free(rival);
  }

  /* A close from another thread ends a blocked poll. */
  {
    EXPECT("poll the rest", eventfold_subscription_poll(s, 10, 60000, &out), EVENTFOLD_OK,
           "\"position\":4");
    poller_arg arg = {s, -1, NULL};
    pthread_t thread;
    pthread_create(&thread, NULL, poller, &arg);
    EXPECT("close while polling", eventfold_subscription_close(s, &out), EVENTFOLD_OK, NULL);
    pthread_join(thread, NULL);
    /* Woken with [], or closed before it began. */
    CHECK((arg.status == EVENTFOLD_OK && arg.out && strcmp(arg.out, "[]") == 0) ||
              arg.status == EVENTFOLD_ERR_STORE_ERROR,
          "blocked poll after close: %d %s", arg.status, arg.out ? arg.out : "(NULL)");
    eventfold_string_free(arg.out);
  }
  eventfold_subscription_free(s);

  /* from "end", filters, and bad options. */
  s = subscribe(e, "tail", "{\"from\":\"end\",\"models\":[\"Counter\"],\"types\":[\"bumped\"]}");
  if (s) {
    EXPECT("nothing yet", eventfold_subscription_poll(s, 10, 0, &out), EVENTFOLD_OK, "[]");
    bump(e, "d", "{\"type\":\"fail\"}", "\"position\":5");
    bump(e, "d", "{\"type\":\"bump\"}", "\"position\":6");
    char *got = NULL;
    status = eventfold_subscription_poll(s, 10, 60000, &got);
    CHECK(status == EVENTFOLD_OK && got && strstr(got, "\"position\":6") && !strstr(got, "\"position\":5"),
          "the new one, filtered: %d %s", status, got ? got : "(NULL)");
    eventfold_string_free(got);
    eventfold_subscription_free(s); /* free closes it */
  }
  s = subscribe(e, "from-five", "{\"from\":5}");
  if (s) {
    EXPECT("from a position", eventfold_subscription_poll(s, 1, 60000, &out), EVENTFOLD_OK, "\"position\":5");
    eventfold_subscription_free(s);
  }
  eventfold_subscription *bad = (eventfold_subscription *)0x1;
  EXPECT("subscribe bad from", eventfold_engine_subscribe(e, "x", "{\"from\":\"middle\"}", &bad, &out),
         EVENTFOLD_ERR_INVALID_COMMAND, "\"path\":\"options.from\"");
  CHECK(bad == NULL, "no handle on failure");
  EXPECT("subscribe NULL name", eventfold_engine_subscribe(e, NULL, NULL, &bad, &out),
         EVENTFOLD_ERR_INVALID_JSON, "`name` is NULL");
  EXPECT("subscribe NULL slot", eventfold_engine_subscribe(e, "x", NULL, NULL, &out),
         EVENTFOLD_ERR_INVALID_JSON, "NULL");
  EXPECT("subscribe NULL engine", eventfold_engine_subscribe(NULL, "x", NULL, &bad, &out),
         EVENTFOLD_ERR_INVALID_JSON, "`engine` is NULL");
  EXPECT("poll NULL", eventfold_subscription_poll(NULL, 1, 0, &out), EVENTFOLD_ERR_INVALID_JSON,
         "`subscription` is NULL");
  EXPECT("ack NULL", eventfold_subscription_ack(NULL, 1, &out), EVENTFOLD_ERR_INVALID_JSON,
         "`subscription` is NULL");
  EXPECT("close NULL", eventfold_subscription_close(NULL, &out), EVENTFOLD_ERR_INVALID_JSON,
         "`subscription` is NULL");
  EXPECT("parked NULL name", eventfold_engine_parked(e, NULL, &out), EVENTFOLD_ERR_INVALID_JSON,
         "`name` is NULL");
  EXPECT("subscriptions NULL engine", eventfold_engine_subscriptions(NULL, &out), EVENTFOLD_ERR_INVALID_JSON,
         "`engine` is NULL");
  eventfold_subscription_free(NULL);
}

/* Every read-side call after the engine is closed. */
static void test_read_side_after_close(eventfold_engine *e) {
  eventfold_subscription *s = subscribe(e, "late", NULL);
  EXPECT("close engine", eventfold_engine_close(e, &out), EVENTFOLD_OK, NULL);
  EXPECT("rows after close", eventfold_engine_rows(e, "tallies", NULL, &out), EVENTFOLD_ERR_STORE_ERROR, "closed");
  EXPECT("projections after close", eventfold_engine_projections(e, &out), EVENTFOLD_ERR_STORE_ERROR, "closed");
  EXPECT("wait_for after close", eventfold_engine_wait_for(e, 1, NULL, &out), EVENTFOLD_ERR_STORE_ERROR, "closed");
  EXPECT("rebuild after close", eventfold_engine_rebuild(e, "tally", &out), EVENTFOLD_ERR_STORE_ERROR, "closed");
  EXPECT("subscriptions after close", eventfold_engine_subscriptions(e, &out), EVENTFOLD_ERR_STORE_ERROR,
         "closed");
  EXPECT("parked after close", eventfold_engine_parked(e, "mailer", &out), EVENTFOLD_ERR_STORE_ERROR, "closed");
  {
    eventfold_subscription *none = (eventfold_subscription *)0x1;
    EXPECT("subscribe after close", eventfold_engine_subscribe(e, "x", NULL, &none, &out),
           EVENTFOLD_ERR_STORE_ERROR, "closed");
    CHECK(none == NULL, "no handle after close");
  }
  /* The engine's close closed its subscriptions. */
  if (s) {
    EXPECT("poll after engine close", eventfold_subscription_poll(s, 1, 0, &out), EVENTFOLD_ERR_STORE_ERROR,
           "store_error");
    eventfold_subscription_free(s);
  }
}

static eventfold_engine *open_board(eventfold_domain *d, const char *store) {
  eventfold_engine *e = NULL;
  char *out = NULL;
  int status = eventfold_engine_open(store, d, "{\"run_projections\":true,\"on_projection_error\":\"stop\"}",
                                     &e, &out);
  CHECK(status == EVENTFOLD_OK && e != NULL, "open board %s: %d %s", store, status, out ? out : "");
  eventfold_string_free(out);
  return e;
}

static void test_read_side(const char *store) {
  eventfold_domain *d = NULL;
  char *out = NULL;
  int status = eventfold_domain_compile(BOARD, &d, &out);
  CHECK(status == EVENTFOLD_OK && d != NULL, "compile board: %d %s", status, out ? out : "");
  eventfold_string_free(out);
  if (!d) return;
  eventfold_engine *e = open_board(d, store);
  if (e) {
    test_tables(e);
    test_subscriptions(e);
    test_read_side_after_close(e);
    eventfold_engine_free(e);
  }
  /* On SQLite the tables and the checkpoints are on disk. */
  if (strncmp(store, "sqlite:", 7) == 0 && (e = open_board(d, store)) != NULL) {
    EXPECT("rows reopened", eventfold_engine_rows(e, "tallies", NULL, &out), EVENTFOLD_OK,
           "[{\"user\":\"ann\",\"n\":3},{\"user\":\"anon\",\"n\":1},{\"user\":\"bob\",\"n\":3}]");
    EXPECT("checkpoint reopened", eventfold_engine_subscriptions(e, &out), EVENTFOLD_OK, "\"checkpoint\":3");
    eventfold_subscription *s = subscribe(e, "mailer", NULL);
    if (s) {
      EXPECT("resume reopened", eventfold_subscription_poll(s, 1, 60000, &out), EVENTFOLD_OK, "\"position\":4");
      eventfold_subscription_free(s);
    }
    eventfold_engine_free(e);
  }
  EXPECT("open bad projection option",
         eventfold_engine_open("memory:", d, "{\"on_projection_error\":\"ignore\"}", &e, &out),
         EVENTFOLD_ERR_INVALID_COMMAND, "\"path\":\"options.on_projection_error\"");
  eventfold_domain_free(d);
}

int main(int argc, char **argv) {
  const char *sqlite_path = argc > 1 ? argv[1] : "eventfold-c-test.db";

  test_meta();
  test_compile_errors();
  test_compile_files_and_text(sqlite_path);
  eventfold_domain *d = compile_counter();
  if (d) {
    test_domain(d);
    test_versions(d);
    test_version_1();
    test_domain_bad_pointers(d);
    test_engine_open_errors(d);
    test_engine_outlives_domain();
    test_engine(d, "memory:");
    char store[512];
    remove(sqlite_path);
    snprintf(store, sizeof store, "sqlite:%s", sqlite_path);
    test_engine(d, store);
    eventfold_domain_free(d);
    test_read_side("memory:");
    char board[400];
    snprintf(board, sizeof board, "%.380s.board", sqlite_path);
    remove(board);
    snprintf(store, sizeof store, "sqlite:%s", board);
    test_read_side(store);
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
