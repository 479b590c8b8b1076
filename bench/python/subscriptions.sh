#!/usr/bin/env bash
# Builds the eventfold wheel in release mode into bench/python/.venv and
# runs the subscription-delivery benchmark (subscription_bench.py).
# Not part of `make test`: it times things and needs a release build.
#   bash bench/python/subscriptions.sh [--quick]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$here/.venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check "maturin>=1.9.4,<2"
"$venv/bin/maturin" build --release --quiet -m "$root/bindings/python/Cargo.toml" \
  -o "$root/target/wheels"
"$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps \
  "$(ls -t "$root"/target/wheels/eventfold-*-abi3-*.whl | head -1)"
cd "$root"
"$venv/bin/python" "$here/subscription_bench.py" "$@"
