#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 10), one line a target,
# then `N passed, N failed`. Exits non-zero on a finding and says where the
# crashing input is (fuzz/artifacts/TARGET/). Installs what is missing: a
# nightly toolchain (rustup) and cargo-fuzz.
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# New inputs go to fuzz/target/corpus/TARGET (not committed; for a run
# under a minute, to a scratch directory emptied first); the committed seeds
# in fuzz/corpus/TARGET are read, never written. bench/fuzz.md says how
# to run a long campaign.
#
# A run under a minute (make test's) builds the targets unoptimised
# (cargo fuzz --dev): on 2 cores that build takes 4 minutes where the
# optimised one takes 11, and a smoke run from the seeds does not need the
# speed. A longer run builds them optimised (FUZZ_BUILD=release forces it).
set -uo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH="${1:-10}"
shift || true
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(model evaluate decode c_api typed)
RSS_MB="${FUZZ_RSS_LIMIT_MB:-2048}"
TIMEOUT="${FUZZ_TIMEOUT:-20}"

die() { echo "fuzz: $*" >&2; exit 2; }

if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  command -v rustup >/dev/null 2>&1 ||
    die "fuzzing needs a nightly Rust toolchain and rustup to install it; install rustup (https://rustup.rs), then rerun"
  echo "fuzz: installing the nightly toolchain (rustup toolchain install nightly)"
  rustup toolchain install nightly --profile minimal ||
    die "could not install the nightly toolchain; run 'rustup toolchain install nightly' by hand"
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz: installing cargo-fuzz (cargo install cargo-fuzz --locked)"
  cargo install cargo-fuzz --locked || die "could not install cargo-fuzz"
fi

BUILD="${FUZZ_BUILD:-}"
if [ -z "$BUILD" ]; then
  if [ "$SECONDS_EACH" -lt 60 ]; then BUILD=dev; else BUILD=release; fi
fi
case "$BUILD" in
  dev) MODE=(--dev) ;;
  release) MODE=(--release) ;;
  *) die "FUZZ_BUILD is dev or release, not '$BUILD'" ;;
esac

echo "fuzz: building the targets (cargo +nightly fuzz build ${MODE[*]})"
if ! cargo +nightly fuzz build "${MODE[@]}" --fuzz-dir fuzz >fuzz/build.log 2>&1; then
  tail -n 30 fuzz/build.log >&2
  die "the fuzz targets do not build (fuzz/build.log)"
fi
rm -f fuzz/build.log

passed=0
failed=0
mkdir -p fuzz/target/logs
for t in "${TARGETS[@]}"; do
  [ -d "fuzz/corpus/$t" ] || die "no target $t (no fuzz/corpus/$t)"
  # A short run starts from the seeds alone, so that its time does not grow
  # with what earlier campaigns found (libFuzzer first runs every input).
  work="fuzz/target/corpus/$t"
  if [ "$SECONDS_EACH" -lt 60 ]; then
    work="fuzz/target/scratch/$t"
    rm -rf "$work"
  fi
  mkdir -p "$work" "fuzz/artifacts/$t"
  log="fuzz/target/logs/$t.log"
  cargo +nightly fuzz run "${MODE[@]}" --fuzz-dir fuzz "$t" "$work" "fuzz/corpus/$t" -- \
    -max_total_time="$SECONDS_EACH" -rss_limit_mb="$RSS_MB" -timeout="$TIMEOUT" \
    -print_final_stats=1 >"$log" 2>&1
  status=$?
  runs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | tail -n 1 | awk '{print $2}')
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1 | awk '{print $2}')
  if [ "$status" -eq 0 ]; then
    passed=$((passed + 1))
    echo "$t: ok, ${runs:-?} runs in ${SECONDS_EACH}s, coverage ${cov:-?}"
  else
    failed=$((failed + 1))
    crash=$(grep -o 'Test unit written to [^ ]*' "$log" | tail -n 1 | awk '{print $5}')
    echo "$t: FAILED (exit $status); input: ${crash:-none written}; log: $log"
    grep -m 3 -E "panicked at|ERROR: (AddressSanitizer|libFuzzer)" "$log" | sed 's/^/    /'
    [ -n "$crash" ] && echo "    reproduce: cargo +nightly fuzz run ${MODE[*]} --fuzz-dir fuzz $t $crash"
  fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
