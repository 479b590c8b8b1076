/*
 * The shared scenarios (../shared/scenarios/README.md), version 0 and
 * version 1 (v1/), through the C API: replay for `given`, propose for `when`,
 * accept for the state after, query for `query`, upcast for `upcast`,
 * project for `projection`, compile for check cases. JSON is read and
 * compared with jansson; every value the library sees is text it wrote or
 * text of the scenario file, so this program parses nothing of its own.
 *
 *   run_scenarios [SCENARIOS_DIR]   (default: $EVENTFOLD_SCENARIOS, else
 *                                     ../shared/scenarios)
 *
 * Prints each failure by file and case with what was expected and what came,
 * then "scenarios (C): N passed, N failed"; exits non-zero on any failure.
 */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "eventfold.h"

/* ---- small helpers ---- */

/* printf into a new string (the caller frees it). */
static char *fmt(const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  int n = vsnprintf(NULL, 0, format, ap);
  va_end(ap);
  char *s = malloc((size_t)n + 1);
  if (!s) abort();
  va_start(ap, format);
  vsnprintf(s, (size_t)n + 1, format, ap);
  va_end(ap);
  return s;
}

/* A value as compact JSON text (the caller frees it). */
static char *dump(const json_t *v) {
  char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  if (!s) abort();
  return s;
}

static char *read_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 4096, len = 0;
  char *buf = malloc(cap);
  size_t n;
  while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
    len += n;
    if (len + 1 == cap) buf = realloc(buf, cap *= 2);
  }
  fclose(f);
  if (buf) buf[len] = 0;
  return buf;
}

/* What a call gave: its status and its text, copied so that the library's
 * string is freed at once. `out` is read through a pointer, after the call
 * (the order in which arguments are evaluated is unspecified). */
typedef struct {
  int status;
  char *text;
} result;

static result take(int status, char **out) {
  result r = {status, *out ? strdup(*out) : NULL};
  eventfold_string_free(*out);
  return r;
}

static json_t *parse(const char *text) {
  return text ? json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL) : NULL;
}

/* JSON equality as the scenarios define it: objects without regard to key
 * order, numbers by value, strings exactly. */
static int same(const json_t *a, const json_t *b) {
  if (!a || !b) return a == b;
  if (json_is_number(a) && json_is_number(b)) {
    if (json_is_integer(a) && json_is_integer(b))
      return json_integer_value(a) == json_integer_value(b);
    return json_number_value(a) == json_number_value(b);
  }
  if (json_typeof(a) != json_typeof(b)) return 0;
  switch (json_typeof(a)) {
  case JSON_OBJECT: {
    if (json_object_size(a) != json_object_size(b)) return 0;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)a, key, v) {
      if (!same(v, json_object_get(b, key))) return 0;
    }
    return 1;
  }
  case JSON_ARRAY: {
    size_t n = json_array_size(a);
    if (n != json_array_size(b)) return 0;
    for (size_t i = 0; i < n; i++)
      if (!same(json_array_get(a, i), json_array_get(b, i))) return 0;
    return 1;
  }
  case JSON_STRING:
    return json_string_length(a) == json_string_length(b) &&
           memcmp(json_string_value(a), json_string_value(b), json_string_length(a)) == 0;
  default: /* true, false, null: the type is the value */
    return 1;
  }
}

/* Compares the text the library gave with what the case expects. */
static int same_text(const char *got, const json_t *want) {
  json_t *g = parse(got);
  int ok = g && same(g, want);
  json_decref(g);
  return ok;
}

static json_t *then_of(json_t *kase, const char *key) {
  return json_object_get(json_object_get(kase, "then"), key);
}

/* What the case expects, as "key JSON" (the caller frees it). */
static char *expectation(json_t *kase) {
  static const char *then_keys[] = {"error", "rejected", "events"};
  static const char *case_keys[] = {"result", "events", "rows", "state"};
  for (size_t i = 0; i < 3; i++) {
    json_t *v = then_of(kase, then_keys[i]);
    if (v) {
      char *t = dump(v), *s = fmt("%s %s", then_keys[i], t);
      free(t);
      return s;
    }
  }
  for (size_t i = 0; i < 4; i++) {
    json_t *v = json_object_get(kase, case_keys[i]);
    if (v) {
      char *t = dump(v), *s = fmt("%s %s", case_keys[i], t);
      free(t);
      return s;
    }
  }
  return fmt("state null");
}

/* `what WANT, got what GOT`, or NULL when they are the same. */
static char *compare(const char *what, const json_t *want, const char *got) {
  if (same_text(got, want)) return NULL;
  char *w = dump(want), *s = fmt("%s %s, got %s %s", what, w, what, got ? got : "(NULL)");
  free(w);
  return s;
}

/* A value the case expects, but the call succeeded with `got`. */
static char *unexpected(json_t *kase, const char *what, const char *got) {
  char *e = expectation(kase), *s = fmt("%s, got %s %s", e, what, got ? got : "(NULL)");
  free(e);
  return s;
}

/* The call failed with `r`: pass when the case expects that error. */
static char *expect_error(json_t *kase, result r) {
  json_t *want = then_of(kase, "error");
  if (!want) return unexpected(kase, "error", r.text);
  json_t *got = parse(r.text);
  int ok = got && json_equal(json_object_get(want, "code"), json_object_get(got, "code"));
  json_t *path = json_object_get(want, "path");
  if (path) ok = ok && same(path, json_object_get(got, "path"));
  json_decref(got);
  if (ok) return NULL;
  char *w = dump(want), *s = fmt("error %s, got error %s", w, r.text ? r.text : "(NULL)");
  free(w);
  return s;
}

/* ---- the kinds of case ---- */

static char *compare_state(json_t *kase, const char *state) {
  json_t *want = json_object_get(kase, "state");
  return want ? compare("state", want, state) : NULL;
}

static char *command_case(eventfold_domain *d, const char *model, json_t *kase, char **state) {
  json_t *raw = json_object_get(kase, "when_raw");
  char *command = raw && json_is_string(raw) ? strdup(json_string_value(raw))
                                             : dump(raw ? raw : json_object_get(kase, "when"));
  const char *now = json_string_value(json_object_get(kase, "now"));
  char *out;
  result r = take(eventfold_domain_propose(d, model, *state, command, now, &out), &out);
  free(command);
  char *failure = NULL;
  json_t *rejected = then_of(kase, "rejected");
  if (r.status == EVENTFOLD_ERR_REJECTED && rejected) {
    json_t *err = parse(r.text);
    json_t *got = json_pack("{s:O?, s:O?}", "reason", json_object_get(err, "reason"), "message",
                            json_object_get(err, "message"));
    if (!same(got, rejected)) {
      char *w = dump(rejected), *g = dump(got);
      failure = fmt("rejected %s, got rejected %s", w, g);
      free(w);
      free(g);
    }
    json_decref(got);
    json_decref(err);
  } else if (r.status != EVENTFOLD_OK) {
    failure = expect_error(kase, r);
  } else if (!then_of(kase, "events")) {
    failure = unexpected(kase, "events", r.text);
  } else if (!(failure = compare("events", then_of(kase, "events"), r.text))) {
    /* The state after: each event accepted in turn. */
    json_t *events = parse(r.text);
    size_t i;
    json_t *event;
    json_array_foreach(events, i, event) {
      char *text = dump(event);
      result s = take(eventfold_domain_accept(d, model, *state, text, &out), &out);
      free(text);
      if (s.status != EVENTFOLD_OK) {
        failure = fmt("the state after its events, got error %s", s.text);
        free(s.text);
        break;
      }
      free(*state);
      *state = s.text;
    }
    json_decref(events);
    if (!failure) failure = compare_state(kase, *state);
  }
  free(r.text);
  return failure;
}

static char *model_case(eventfold_domain *d, const char *model, json_t *kase) {
  json_t *given = json_object_get(kase, "given");
  char *events = given ? dump(given) : strdup("[]");
  char *out;
  result st = take(eventfold_domain_replay(d, model, events, NULL, &out), &out);
  free(events);
  if (st.status != EVENTFOLD_OK) {
    char *failure = expect_error(kase, st);
    free(st.text);
    return failure;
  }
  char *failure;
  json_t *query = json_object_get(kase, "query");
  if (json_object_get(kase, "when") || json_object_get(kase, "when_raw")) {
    failure = command_case(d, model, kase, &st.text);
  } else if (query) {
    json_t *args = json_object_get(query, "args");
    char *args_text = args ? dump(args) : strdup("{}");
    result q = take(eventfold_domain_query(d, model, st.text,
                                           json_string_value(json_object_get(query, "name")),
                                           args_text, &out),
                    &out);
    free(args_text);
    if (q.status != EVENTFOLD_OK)
      failure = expect_error(kase, q);
    else if (!json_object_get(kase, "result"))
      failure = unexpected(kase, "result", q.text);
    else
      failure = compare("result", json_object_get(kase, "result"), q.text);
    free(q.text);
  } else if (then_of(kase, "error")) {
    failure = unexpected(kase, "state", st.text);
  } else {
    failure = compare_state(kase, st.text);
  }
  free(st.text);
  return failure;
}

/* `upcast` / `events`: the events in order, each whole. */
static char *upcast_case(eventfold_domain *d, const char *model, json_t *kase) {
  char *event = dump(json_object_get(kase, "upcast")), *out;
  result r = take(eventfold_domain_upcast(d, model, event, &out), &out);
  free(event);
  char *failure;
  if (r.status != EVENTFOLD_OK)
    failure = expect_error(kase, r);
  else if (!json_object_get(kase, "events"))
    failure = unexpected(kase, "events", r.text);
  else
    failure = compare("events", json_object_get(kase, "events"), r.text);
  free(r.text);
  return failure;
}

/* `projection`: `given` folded through project onto `tables`, compared with `rows`. */
static char *projection_case(eventfold_domain *d, json_t *kase) {
  json_t *given = json_object_get(kase, "given"), *tables = json_object_get(kase, "tables");
  char *events = given ? dump(given) : strdup("[]");
  char *tables_text = tables ? dump(tables) : NULL, *out;
  result r = take(eventfold_domain_project(d, json_string_value(json_object_get(kase, "projection")),
                                           events, tables_text, &out),
                  &out);
  free(events);
  free(tables_text);
  char *failure;
  if (r.status != EVENTFOLD_OK)
    failure = expect_error(kase, r);
  else if (!json_object_get(kase, "rows"))
    failure = unexpected(kase, "rows", r.text);
  else
    failure = compare("rows", json_object_get(kase, "rows"), r.text);
  free(r.text);
  return failure;
}

/* Whether `haystack` contains `needle`, ASCII letters in either case. */
static int contains_folded(const char *haystack, const char *needle) {
  size_t n = strlen(needle);
  for (const char *p = haystack; *p; p++) {
    size_t i = 0;
    while (i < n && p[i] && tolower((unsigned char)p[i]) == tolower((unsigned char)needle[i])) i++;
    if (i == n) return 1;
  }
  return n == 0;
}

/* Each listed diagnostic matches a different reported one. */
static char *match_diagnostics(json_t *kase, json_t *got) {
  json_t *wanted = json_object_get(kase, "diagnostics");
  size_t n = json_array_size(got);
  char *used = calloc(n + 1, 1);
  char *failure = NULL;
  size_t i;
  json_t *want;
  json_array_foreach(wanted, i, want) {
    size_t found = n;
    for (size_t j = 0; j < n && found == n; j++) {
      json_t *d = json_array_get(got, j);
      json_t *line = json_object_get(want, "line"), *column = json_object_get(want, "column");
      const char *contains = json_string_value(json_object_get(want, "contains"));
      const char *message = json_string_value(json_object_get(d, "message"));
      if (!used[j] && (!line || same(line, json_object_get(d, "line"))) &&
          (!column || same(column, json_object_get(d, "column"))) &&
          (!contains || (message && contains_folded(message, contains))))
        found = j;
    }
    if (found == n) {
      char *w = dump(want), *g = dump(got);
      failure = fmt("a diagnostic like %s, got %s", w, g);
      free(w);
      free(g);
      break;
    }
    used[found] = 1;
  }
  free(used);
  return failure;
}

/* Compiles `sources` (a JSON array of {name, text}): the domain, or NULL
 * with the error in `*error`. */
static eventfold_domain *compile(json_t *sources, result *error) {
  char *text = dump(sources), *out;
  eventfold_domain *d = NULL;
  *error = take(eventfold_domain_compile(text, &d, &out), &out);
  free(text);
  return d;
}

/* Adds `dir/name` to `sources` under its name; 0 when it cannot be read. */
static int add_file(json_t *sources, const char *dir, const char *name, const char *as) {
  char *path = fmt("%s/%s", dir, name);
  char *text = read_file(path);
  if (text)
    json_array_append_new(sources, json_pack("{s:s, s:s}", "name", as ? as : path, "text", text));
  free(path);
  free(text);
  return text != NULL;
}

static char *check_case(const char *dir, json_t *kase) {
  json_t *sources = json_array();
  json_t *source = json_object_get(kase, "source");
  if (source) {
    json_array_append_new(sources, json_pack("{s:s, s:O}", "name", "source.model", "text", source));
  } else {
    size_t i;
    json_t *file;
    json_array_foreach(json_object_get(kase, "files"), i, file) {
      const char *name = json_string_value(file);
      if (!add_file(sources, dir, name, name)) {
        json_decref(sources);
        return fmt("a model file %s/%s, got none", dir, name);
      }
    }
  }
  result r;
  eventfold_domain *d = compile(sources, &r);
  json_decref(sources);
  int ok = json_is_true(json_object_get(kase, "ok"));
  char *failure = NULL;
  if (d) {
    eventfold_domain_free(d);
    if (!ok) {
      char *w = dump(json_object_get(kase, "diagnostics"));
      failure = fmt("diagnostics %s, got a model that compiles", w);
      free(w);
    }
  } else if (ok) {
    failure = fmt("the model compiles, got %s", r.text);
  } else if (r.status != EVENTFOLD_ERR_MODEL_ERROR) {
    failure = fmt("model_error, got error %s", r.text);
  } else {
    json_t *err = parse(r.text);
    failure = match_diagnostics(kase, json_object_get(err, "diagnostics"));
    json_decref(err);
  }
  free(r.text);
  return failure;
}

/* ---- the files ---- */

static int passed, failed;

static void run_file(const char *root, const char *file) {
  const char *label = file + strlen(root) + 1;
  json_error_t error;
  json_t *spec = json_load_file(file, 0, &error);
  if (!spec) {
    failed++;
    fprintf(stderr, "FAIL %s\n  expected JSON, got %s at line %d\n", label, error.text, error.line);
    return;
  }
  char *dir = strdup(file);
  *strrchr(dir, '/') = 0;
  const char *model = json_string_value(json_object_get(spec, "model"));
  eventfold_domain *d = NULL;
  char *compile_failure = NULL;
  if (model) {
    json_t *sources = json_array();
    size_t i;
    json_t *name;
    json_array_foreach(json_object_get(spec, "files"), i, name) {
      if (!add_file(sources, dir, json_string_value(name), NULL))
        compile_failure = fmt("the model file %s, got none", json_string_value(name));
    }
    if (!compile_failure) {
      result r;
      d = compile(sources, &r);
      if (!d) compile_failure = fmt("models that compile, got %s", r.text);
      free(r.text);
    }
    json_decref(sources);
  }
  size_t i;
  json_t *kase;
  json_array_foreach(json_object_get(spec, "cases"), i, kase) {
    char *failure;
    if (!model)
      failure = check_case(dir, kase);
    else if (compile_failure)
      failure = strdup(compile_failure);
    else if (json_object_get(kase, "upcast"))
      failure = upcast_case(d, model, kase);
    else if (json_object_get(kase, "projection"))
      failure = projection_case(d, kase);
    else
      failure = model_case(d, model, kase);
    if (failure) {
      failed++;
      fprintf(stderr, "FAIL %s: %s\n  expected %s\n", label,
              json_string_value(json_object_get(kase, "name")), failure);
      free(failure);
    } else {
      passed++;
    }
  }
  free(compile_failure);
  eventfold_domain_free(d);
  free(dir);
  json_decref(spec);
}

static void run_glob(const char *root, const char *pattern) {
  char *full = fmt("%s/%s", root, pattern);
  glob_t g;
  if (glob(full, 0, NULL, &g) == 0) {
    for (size_t i = 0; i < g.gl_pathc; i++) run_file(root, g.gl_pathv[i]);
    globfree(&g);
  }
  free(full);
}

int main(int argc, char **argv) {
  const char *env = getenv("EVENTFOLD_SCENARIOS");
  const char *root = argc > 1 ? argv[1] : (env && *env ? env : "../shared/scenarios");
  run_glob(root, "*.scenarios.json");
  run_glob(root, "v1/*.scenarios.json");
  printf("scenarios (C): %d passed, %d failed\n", passed, failed);
  return failed == 0 && passed > 0 ? 0 : 1;
}
