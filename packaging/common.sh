# Sourced by packaging/dist.sh and packaging/test.sh: the version, and apt
# installs of what a fresh machine lacks.

# The one version of every artifact: [workspace.package] in Cargo.toml.
eventfold_version() {
  sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' "$1/Cargo.toml"
}

# The Cargo profile of the packed native code: `dist` (Cargo.toml) unless
# DIST_PROFILE names another.
dist_profile() { echo "${DIST_PROFILE:-dist}"; }
# profile_dir PROFILE: its folder under target/ (Cargo names dev's `debug`).
profile_dir() { if [ "$1" = dev ]; then echo debug; else echo "$1"; fi; }
# dist_dir ROOT: where the artifacts go, DIST if set. dist/ holds only what
# ships, the `dist` profile's; another profile's go to target/packaging/.
dist_dir() {
  local p
  p="$(dist_profile)"
  if [ -n "${DIST:-}" ]; then echo "$DIST"
  elif [ "$p" = dist ]; then echo "$1/dist"
  else echo "$1/target/packaging/dist-$p"; fi
}

# apt_install PACKAGE...: from Debian, updating the index once a run.
apt_install() {
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# need COMMAND PACKAGE...: apt_install the packages when COMMAND is missing.
need() {
  local cmd=$1; shift
  command -v "$cmd" >/dev/null 2>&1 || apt_install "$@"
}

# A virtualenv of the Python tools packaging uses (maturin builds the wheel,
# mypy checks the clean install), pinned as bindings/python/test.sh pins them.
tools_venv() {
  local venv=$1/target/packaging-tools/venv
  need python3 python3 python3-venv python3-pip
  if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv" 2>/dev/null || {
      apt_install python3-venv
      python3 -m venv "$venv"
    }
  fi
  if ! "$venv/bin/python" -c 'import maturin, mypy' >/dev/null 2>&1 || [ ! -x "$venv/bin/maturin" ]; then
    PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore \
      "$venv/bin/python" -m pip install -q "maturin>=1.9.4,<2" "mypy==1.20.2"
  fi
  echo "$venv"
}

# Seconds since the epoch, with a fraction.
now() { date +%s.%N; }
# elapsed START: seconds since START, one decimal.
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
