#!/usr/bin/env bash
# The artifacts of `make dist`, each installed into a clean project of its
# ecosystem the way its README says, offline, then used there:
#   python  pip install dist/*.whl into a fresh venv; mypy --strict; a script
#   node    npm install --offline dist/eventfold-*.tgz into a fresh project;
#           tsc --strict over a TypeScript file; run it
#   jvm     the jar and pom into the local Maven repository; a fresh project
#           depending on it by coordinates, built and run with plain mvn
#   ruby    gem install --local; a script
#   php     a project whose composer.json points at the package (a path
#           repository, Debian's composer); a script
#   c       a program built with pkg-config, linked dynamically and
#           statically, and a C++ one
#   cli     the binary from its tarball: --version, check, demo
# and: every artifact carries the one version (packaging/check-versions.sh);
# a folder install of bindings/node refuses the tests' debug addon.
#
#   packaging/test.sh                 builds dist/ first (packaging/dist.sh)
#   DIST_BUILT=1 packaging/test.sh    uses the dist/ already there
#   DIST_PROFILE=dev packaging/test.sh  packs the debug build instead, into
#                                     target/packaging/dist-dev (make test)
# and, for the dist profile, the budget: wheel, npm tarballs, jar < 15 MB.
# Ends with "N passed, N failed" and the time each install took.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. packaging/common.sh
DIST="$(dist_dir "$root")"
export DIST
VERSION="$(eventfold_version "$root")"
here="$root/packaging/tests"
model="$root/examples/todos/todos.model"

if [ -z "${DIST_BUILT:-}" ]; then
  t=$(now)
  bash packaging/dist.sh || { echo "make dist failed"; echo "0 passed, 1 failed"; exit 1; }
  echo "make dist: $(elapsed "$t") s"
fi

need composer composer
need pkg-config pkg-config
need g++ g++
# The gem's one dependency, the ffi gem, from Debian (RubyGems is not reached).
ruby -e 'require "ffi"' >/dev/null 2>&1 || apt_install ruby-ffi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# What the tests of the bindings export must not leak into a user's project.
unset EVENTFOLD_LIB EVENTFOLD_HEADER EVENTFOLD_NATIVE VIRTUAL_ENV PYTHONPATH NODE_PATH RUBYLIB GEM_HOME GEM_PATH

passed=0
failed=0
times=()
# case NAME FUNCTION: runs it in a fresh folder, its output to a log shown on failure.
case_() {
  local name=$1 fn=$2 dir="$work/$1" log="$work/$1.log" t
  mkdir -p "$dir"
  t=$(now)
  # Not in an `if`: there, bash would ignore the subshell's set -e.
  (cd "$dir" && set -e && "$fn" "$dir") >"$log" 2>&1
  if [ $? -eq 0 ]; then
    passed=$((passed + 1)); echo "ok   $name ($(elapsed "$t") s)"
  else
    failed=$((failed + 1)); echo "FAIL $name"; sed 's/^/  | /' "$log"
  fi
  times+=("$name $(elapsed "$t")")
}
# expect FILE TEXT...: each TEXT is a line of FILE.
expect() {
  local file=$1; shift
  for want in "$@"; do
    grep -qxF -- "$want" "$file" || { echo "expected the line '$want' in:"; cat "$file"; return 1; }
  done
}

versions() { bash "$root/packaging/check-versions.sh" "$DIST"; }

python_() {
  local venv
  venv="$(tools_venv "$root")"   # mypy, outside the user's venv
  python3 -m venv "$1/venv"
  "$1/venv/bin/pip" install -q --no-index --disable-pip-version-check "$DIST"/eventfold-"$VERSION"-*.whl
  cp "$here/app.py" "$model" .
  "$venv/bin/mypy" --strict --no-incremental --python-executable "$1/venv/bin/python" app.py
  "$1/venv/bin/python" app.py todos.model "sqlite:$1/todos.db" | tee out
  expect out "rejected: duplicate" "remaining: 2"
  grep -q "^eventfold $VERSION from $1/venv/" out
}

node_() {
  npm init -y >/dev/null
  # Both tarballs: eventfold, and the addon package npm would pick from the
  # registry by os/cpu/libc. --offline: nothing is fetched.
  npm install --offline --no-audit --no-fund "$DIST/eventfold-$VERSION.tgz" "$DIST/eventfold-linux-x64-gnu-$VERSION.tgz"
  # The compiler, as a user adds it (from npm's cache when it is there).
  npm install --prefer-offline --no-audit --no-fund -D typescript@5.9.3 @types/node@20.19.43
  cp "$here/app.ts" "$model" .
  cat > tsconfig.json <<'JSON'
{ "compilerOptions": { "strict": true, "target": "es2022", "module": "commonjs", "types": ["node"], "outDir": "out" }, "files": ["app.ts"] }
JSON
  npx --no-install tsc -p .
  node out/app.js todos.model "sqlite:$1/todos.db" | tee out.txt
  expect out.txt "rejected: duplicate" "remaining: 2" "eventfold from $1/node_modules/eventfold/index.js"
  test -f node_modules/eventfold-linux-x64-gnu/eventfold.linux-x64-gnu.node
}

node_folder_() {
  # `npm install <folder>` of a checkout whose only addon is the tests'
  # debug build: loading it must fail and say why, not run it.
  local pkg="$1/eventfold-checkout"
  mkdir -p "$pkg" app
  cp "$root/bindings/node/package.json" "$root/bindings/node/index.js" "$root/bindings/node/index.d.ts" "$pkg/"
  : > "$pkg/eventfold.linux-x64-gnu.debug.node"
  cd app && npm init -y >/dev/null
  npm install --offline --no-audit --no-fund --omit=dev "$pkg"
  if node -e "require('eventfold')" 2>err.txt; then echo "a folder install loaded a debug addon"; return 1; fi
  grep -q "Only a debug build is here" err.txt && grep -q "EVENTFOLD_NATIVE=" err.txt || { cat err.txt; return 1; }
  # npm pack of the folder leaves any addon out.
  (cd "$pkg" && npm pack --dry-run --json 2>/dev/null) > pack.json
  if grep -q '\.node"' pack.json; then echo "npm pack of the folder takes an addon"; return 1; fi
}

jvm_() {
  # Into the local Maven repository, as a downloaded jar is installed.
  mvn -B -q --no-transfer-progress install:install-file \
    -Dfile="$DIST/eventfold-$VERSION.jar" -DpomFile="$DIST/eventfold-$VERSION.pom"
  sed "s/@VERSION@/$VERSION/" "$here/java/pom.xml.in" > pom.xml
  mkdir -p src/main/java/app
  cp "$here/java/App.java" src/main/java/app/
  cp "$model" .
  mvn -B -q --no-transfer-progress -Dstyle.color=never compile exec:java -Dexec.mainClass=app.App \
    -Dexec.args="todos.model sqlite:$1/todos.db" | sed 's/\x1b\[[0-9;]*m//g' | tee out
  expect out "rejected: duplicate" "remaining: 2"
  grep -q "^eventfold from file:.*/dev/eventfold/eventfold/$VERSION/eventfold-$VERSION.jar$" out
}

ruby_() {
  export GEM_HOME="$1/gems" GEM_PATH
  GEM_PATH="$1/gems:$(ruby -e 'print Gem.default_path.join(":")')"
  gem install --local --no-document "$DIST/eventfold-$VERSION-x86_64-linux.gem"
  cp "$here/app.rb" "$model" .
  ruby app.rb todos.model "sqlite:$1/todos.db" | tee out
  expect out "rejected: duplicate" "remaining: 2"
  grep -q "^eventfold $VERSION (library $VERSION) from $1/gems/gems/eventfold-$VERSION-x86_64-linux/lib/libeventfold.so$" out
}

php_() {
  mkdir -p packages
  tar -C packages -xzf "$DIST/eventfold-php-$VERSION-x86_64-linux-gnu.tar.gz"
  cat > composer.json <<JSON
{
    "name": "app/clean-install",
    "require": { "eventfold/eventfold": "$VERSION" },
    "repositories": [
        { "type": "path", "url": "packages/eventfold-php-$VERSION", "options": { "symlink": false } },
        { "packagist.org": false }
    ]
}
JSON
  COMPOSER_HOME="$1/composer-home" COMPOSER_ALLOW_SUPERUSER=1 \
    composer install --no-interaction --no-progress 2>&1
  cp "$here/app.php" "$model" .
  php -d ffi.enable=true app.php todos.model "sqlite:$1/todos.db" | tee out
  expect out "rejected: duplicate" "remaining: 2" "eventfold from $1/vendor/eventfold/eventfold/src/../lib/libeventfold.so"
}

c_() {
  tar -xzf "$DIST/eventfold-c-$VERSION-x86_64-linux-gnu.tar.gz"
  export PKG_CONFIG_PATH="$1/eventfold-$VERSION/lib/pkgconfig"
  [ "$(pkg-config --modversion eventfold)" = "$VERSION" ]
  local libdir
  libdir="$(pkg-config --variable=libdir eventfold)"
  # Dynamically: libeventfold.so, found at run time through the rpath.
  gcc -std=c11 -Wall -Wextra -Werror "$here/app.c" $(pkg-config --cflags --libs eventfold) \
    -Wl,-rpath,"$libdir" -o app-dynamic
  readelf -d app-dynamic | grep -q 'NEEDED.*libeventfold.so'
  ./app-dynamic "sqlite:$1/dynamic.db" | tee out-dynamic
  # Statically: libeventfold.a, with the system libraries of Libs.private.
  gcc -std=c11 -Wall -Wextra -Werror "$here/app.c" $(pkg-config --cflags eventfold) \
    -Wl,-Bstatic $(pkg-config --libs-only-L --libs-only-l eventfold) -Wl,-Bdynamic \
    $(pkg-config --static --libs-only-l eventfold | sed 's/-leventfold//') -o app-static
  if readelf -d app-static | grep -q 'NEEDED.*libeventfold'; then echo "app-static needs libeventfold.so"; return 1; fi
  ./app-static "sqlite:$1/static.db" | tee out-static
  for out in out-dynamic out-static; do
    expect "$out" "remaining: 2" "eventfold $VERSION"
    grep -q '^rejected: {"code":"rejected"' "$out"
  done
  # C++: the header's extern "C" guards.
  g++ -std=c++17 -Wall -Wextra -Werror "$here/app.cpp" $(pkg-config --cflags --libs eventfold) \
    -Wl,-rpath,"$libdir" -o app-cxx
  ./app-cxx | tee out-cxx
  expect out-cxx "eventfold $VERSION"
}

cli_() {
  tar -xzf "$DIST/eventfold-cli-$VERSION-x86_64-linux-gnu.tar.gz"
  local cli="$1/eventfold-cli-$VERSION/bin/eventfold"
  test -f "$1/eventfold-cli-$VERSION/README.md"
  [ "$("$cli" --version)" = "eventfold $VERSION" ]
  "$cli" check "$model"
  "$cli" demo </dev/null >demo.out
  test -s demo.out
}

# The budget of issue 18: what a user downloads most, under 15 MB each. It
# is for the optimised build; a debug one (make test's) is not held to it.
BUDGET_BYTES=15000000
sizes() {
  local f n
  for f in "$DIST"/eventfold-"$VERSION"-*.whl "$DIST/eventfold-$VERSION.tgz" \
           "$DIST/eventfold-linux-x64-gnu-$VERSION.tgz" "$DIST/eventfold-$VERSION.jar"; do
    n=$(stat -c %s "$f")
    echo "$(basename "$f") $n bytes"
    [ "$n" -lt "$BUDGET_BYTES" ] || { echo "$(basename "$f") is over the budget of $BUDGET_BYTES bytes"; return 1; }
  done
}

case_ versions versions
if [ "$(dist_profile)" = dist ]; then
  case_ sizes sizes
else
  echo "skip sizes (the budget is the dist profile's; this is $(dist_profile))"
fi
case_ python python_
case_ node node_
case_ node-folder node_folder_
case_ jvm jvm_
case_ ruby ruby_
case_ php php_
case_ c c_
case_ cli cli_

echo "clean installs (seconds): ${times[*]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
