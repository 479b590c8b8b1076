#!/bin/sh
# The long run of the evaluator's differential test (core/tests/differential.rs):
# many more random models than `make test` runs, in a release build.
#   bench/differential.sh [CASES] [SEED]
# Defaults: 200000 cases, seed 10 (the seed `make test` uses). A failure
# prints the model, the state, and the engine's and the reference's results.
set -eu
cd "$(dirname "$0")/.."
EVENTFOLD_DIFF_CASES="${1:-200000}" EVENTFOLD_DIFF_SEED="${2:-10}" \
  exec cargo test --release -p eventfold --test differential -- --nocapture
