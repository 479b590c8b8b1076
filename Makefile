# `make test` installs what is missing and runs every test of every language.
# `.ci/run` calls it; CI runs it in a fresh clone with ../shared beside it.

SHARED    ?= ../shared
CARGO     ?= cargo
SCENARIOS := $(wildcard $(SHARED)/scenarios/*.scenarios.json $(SHARED)/scenarios/v1/*.scenarios.json)

# Each binding has its own test.sh: it installs what it needs when missing
# (apt, pip, npm, Maven), builds, and runs that language's tests.
BINDINGS  := c php ruby node python jvm

.PHONY: test test-all test-postgres-infra deps test-rust test-cli test-editors test-bindings test-cross test-dist test-fuzz dist bench demo $(addprefix test-,$(BINDINGS))

# Every test runs with one throwaway PostgreSQL server: with_cluster.sh
# installs PostgreSQL with apt when missing, starts a cluster on a free
# local port, exports EVENTFOLD_TEST_POSTGRES (its URL), runs test-all and
# stops the cluster on every way out. With EVENTFOLD_TEST_POSTGRES already
# set, the tests use that server instead (docs/testing.md).
test:
	bash tests/postgres/with_cluster.sh $(MAKE) --no-print-directory test-all

test-all: deps test-postgres-infra test-rust test-cli test-editors test-bindings test-cross test-dist test-fuzz

# The server itself, end to end: a password over TCP, a schema, a committed
# row through a crash restart, a backend terminated by the superuser.
test-postgres-infra:
	bash tests/postgres/with_cluster.sh bash tests/postgres/check.sh

# One SQLite stream written in turn by the CLI, Python, Node, Ruby and PHP.
test-cross: test-bindings
	bash tests/cross_language.sh

test-bindings: $(addprefix test-,$(BINDINGS))

# Every package a user installs, into dist/ (packaging/README.md): Linux
# x86-64 only, with Cargo's optimised `dist` profile.
dist:
	bash packaging/dist.sh

# Each artifact of make dist installed into a clean project of its
# ecosystem and run there; after the bindings' tests, which install the
# toolchains it uses. It packs the debug build those tests made
# (DIST_PROFILE=dev, into target/packaging/dist-dev): the same packaging,
# without compiling everything again under fat LTO, which takes CI longer
# than the rest of make test. `make test-dist DIST_PROFILE=dist` builds and
# tests what ships, in dist/, with its size budget.
test-dist: test-bindings
	DIST_PROFILE=$(or $(DIST_PROFILE),dev) bash packaging/test.sh

$(addprefix test-,$(BINDINGS)): test-%:
	@if [ -f bindings/$*/test.sh ]; then echo "== $* =="; bash bindings/$*/test.sh; else echo "== $*: no tests yet =="; fi

# Each fuzz target (fuzz/) for FUZZ_SECONDS, from the committed seeds:
# about a minute in all on a warm machine. It installs nightly and
# cargo-fuzz when missing; bench/fuzz.md says how to run a long campaign.
FUZZ_SECONDS ?= 10
test-fuzz:
	bash fuzz/run.sh $(FUZZ_SECONDS)

# Rust is the only toolchain the core needs; the bindings add theirs here.
deps:
	@command -v $(CARGO) >/dev/null 2>&1 || { \
	  echo "cargo is missing: installing it with apt"; \
	  apt-get update -qq && apt-get install -y -qq cargo rustc; }

test-rust:
	$(CARGO) test --workspace --all-targets --exclude eventfold-node --exclude eventfold-python
	$(CARGO) test -p eventfold --doc

# The CLI as a user runs it: every shared scenario and the example's own.
test-cli:
	$(CARGO) build -q -p eventfold-cli
	./target/debug/eventfold check examples/todos/todos.model
	./target/debug/eventfold check examples/orders/order.model
	# Every model file is as `eventfold fmt` writes it (language.model is
	# kept as written: it tests literal spellings the formatter normalises).
	./target/debug/eventfold fmt --check $$(git ls-files '*.model' ':!core/tests/models/language.model')
	./target/debug/eventfold test $(SCENARIOS) examples/todos/todos.scenarios.json examples/orders/order.scenarios.json

# The TextMate grammar, tokenized by VS Code's own engine, and the VS Code
# extension's manifest and start-up (editors/README.md).
test-editors:
	bash editors/test.sh

# The main job: the todo example on the embedded SQLite store.
demo:
	$(CARGO) run --release -p eventfold-cli -- demo

bench:
	$(CARGO) run --release -p eventfold-bench -- core store
