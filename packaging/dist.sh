#!/usr/bin/env bash
# `make dist`: every artifact a user installs, built from this checkout into
# dist/ with the native code optimised and stripped (Cargo's `dist` profile:
# fat LTO, one codegen unit, no debug info). packaging/README.md lists them;
# packaging/test.sh installs each into a clean project of its ecosystem.
#
#   DIST=dir           where to put them (default: dist_dir in common.sh)
#   DIST_PROFILE=name  the Cargo profile (default: dist). make test packs the
#                      debug build its tests already made (dev), so that CI
#                      does not compile everything again under fat LTO; the
#                      scripts strip each copy they pack, whatever the profile.
#
# It installs what a fresh Debian machine lacks (apt; maturin and mypy into
# target/packaging-tools/venv with pip). Linux x86-64 (glibc) only, today.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. packaging/common.sh

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "make dist packs Linux x86-64 only today; on $(uname -s)-$(uname -m), build from source (packaging/README.md)" >&2
  exit 1
fi
VERSION="$(eventfold_version "$root")"
[ -n "$VERSION" ] || { echo "no [workspace.package] version in Cargo.toml" >&2; exit 1; }
PROFILE="$(dist_profile)"
DIST="$(dist_dir "$root")"
STAGE="$root/target/packaging/stage-$PROFILE"
TARGET="${CARGO_TARGET_DIR:-$root/target}/$(profile_dir "$PROFILE")"
# The platform in each ecosystem's own spelling.
NPM_PLATFORM=linux-x64-gnu      # napi-rs: <platform>-<arch>-<abi>
JNA_PLATFORM=linux-x86-64       # JNA's resource prefix
TRIPLE=x86_64-linux-gnu         # the C and CLI tarballs

need cargo cargo rustc
need node nodejs npm
need npm npm
need javac openjdk-17-jdk-headless
need mvn maven
need gem ruby
need tar tar
need objdump binutils
need strip binutils

start=$(now)
step() { echo "== dist: $1"; }
# pack FROM TO: a copy without debug info. A shared library or a program
# also loses the symbols its loader does not need; a static library keeps
# them, since programs link against them.
pack() {
  cp "$1" "$2"
  case "$2" in
    *.a) strip --strip-debug "$2" ;;
    *) strip --strip-unneeded "$2" ;;
  esac
}
rm -rf "$DIST" "$STAGE"
mkdir -p "$DIST" "$STAGE"

step "native libraries and the CLI (cargo --profile $PROFILE)"
# One package per cargo run, as the pom's and maturin's runs build theirs:
# cargo unifies features over the packages of one run, so building them
# together here would give shared crates other features, and every run of
# make dist would rebuild them (uniffi-bindgen, under fat LTO, for minutes).
# The pom builds eventfold-jvm itself.
for p in eventfold-ffi eventfold-node eventfold-cli; do
  cargo build -q --profile "$PROFILE" -p "$p"
done
for f in libeventfold.so libeventfold.a libeventfold_node.so eventfold; do
  [ -f "$TARGET/$f" ] || { echo "cargo did not build $TARGET/$f" >&2; exit 1; }
done

step "Python: an abi3 wheel and an sdist (maturin)"
venv="$(tools_venv "$root")"
# The manylinux tag is the newest glibc symbol version the module needs, so
# the wheel installs on every glibc at least that new (and no older one).
"$venv/bin/maturin" build --quiet --profile "$PROFILE" --strip -m bindings/python/Cargo.toml -o "$STAGE/wheel" \
  --compatibility linux >/dev/null
so="$(mktemp -d)"
(cd "$so" && python3 -m zipfile -e "$STAGE"/wheel/*.whl . && find . -name '_eventfold*.so' -exec mv {} mod.so \;)
glibc="$(objdump -T "$so/mod.so" | grep -o 'GLIBC_2\.[0-9]*' | sort -t. -k2,2n -k3,3n -u | tail -1 | cut -d. -f1,2 | sed 's/GLIBC_2\./2_/')"
rm -rf "$so" "$STAGE/wheel"
"$venv/bin/maturin" build --quiet --profile "$PROFILE" --strip -m bindings/python/Cargo.toml -o "$DIST" \
  --compatibility "manylinux_$glibc" >/dev/null
"$venv/bin/maturin" sdist -m bindings/python/Cargo.toml -o "$DIST" >/dev/null

step "Node: the npm package and its linux-x64-gnu addon package (napi-rs layout)"
plat="$STAGE/npm/eventfold-$NPM_PLATFORM"
mkdir -p "$plat"
cp "bindings/node/npm/$NPM_PLATFORM/package.json" "bindings/node/npm/$NPM_PLATFORM/README.md" LICENSE "$plat/"
pack "$TARGET/libeventfold_node.so" "$plat/eventfold.$NPM_PLATFORM.node"
main="$STAGE/npm/eventfold"
mkdir -p "$main"
cp bindings/node/index.js bindings/node/index.d.ts bindings/node/README.md LICENSE "$main/"
# The published manifest: the source one, with the platform packages as
# optional dependencies (npm installs the one whose os/cpu/libc match) and
# without what only this repository uses.
node -e '
  const fs = require("node:fs")
  const [src, out, platformDir] = process.argv.slice(1)
  const pkg = JSON.parse(fs.readFileSync(src, "utf8"))
  const platform = JSON.parse(fs.readFileSync(platformDir + "/package.json", "utf8"))
  delete pkg.devDependencies
  delete pkg.scripts
  pkg.optionalDependencies = { [platform.name]: platform.version }
  fs.writeFileSync(out, JSON.stringify(pkg, null, 2) + "\n")
' bindings/node/package.json "$main/package.json" "$plat"
(cd "$plat" && npm pack --silent --pack-destination "$DIST" >/dev/null)
(cd "$main" && npm pack --silent --pack-destination "$DIST" >/dev/null)

step "JVM: the jar with libeventfold_jvm.so under $JNA_PLATFORM/, and its pom (Maven)"
# Its own build directory, so the tests' debug build in bindings/jvm/target
# and this one never mix.
mvn -B -q --no-transfer-progress -Dstyle.color=never -f bindings/jvm/pom.xml package \
  -Dmaven.test.skip=true -Dcargo.profile="$(profile_dir "$PROFILE")" -Dcargo.profile.flag="$PROFILE" -Dnative.strip=--strip-all \
  -Djvm.build.dir="$STAGE/jvm" 2>&1 | sed -u 's/\x1b\[[0-9;]*m//g'
cp "$STAGE/jvm/eventfold-$VERSION.jar" "$STAGE/jvm/eventfold-$VERSION-all.jar" "$DIST/"
cp bindings/jvm/pom.xml "$DIST/eventfold-$VERSION.pom"

step "Ruby: a platform gem with libeventfold.so inside"
gemdir="$STAGE/gem"
mkdir -p "$gemdir"
cp -r bindings/ruby/lib bindings/ruby/sig bindings/ruby/eventfold.gemspec bindings/ruby/README.md LICENSE "$gemdir/"
pack "$TARGET/libeventfold.so" "$gemdir/lib/libeventfold.so"
(cd "$gemdir" && gem build --silent eventfold.gemspec >/dev/null && mv eventfold-*.gem "$DIST/")

step "PHP: a Composer package with libeventfold.so and eventfold.h"
php="$STAGE/php/eventfold-php-$VERSION"
mkdir -p "$php/lib"
cp -r bindings/php/src bindings/php/bin bindings/php/preload.php bindings/php/README.md LICENSE "$php/"
pack "$TARGET/libeventfold.so" "$php/lib/libeventfold.so"
cp include/eventfold.h "$php/lib/"
# A path or artifact repository takes the version from composer.json.
python3 - "$VERSION" bindings/php/composer.json "$php/composer.json" <<'PY'
import json, sys
version, src, out = sys.argv[1:]
with open(src) as f:
    pkg = json.load(f)
pkg.pop("require-dev", None)
pkg.pop("autoload-dev", None)
pkg = {"name": pkg.pop("name"), "version": version, **pkg}
with open(out, "w") as f:
    json.dump(pkg, f, indent=4)
    f.write("\n")
PY
tar -C "$STAGE/php" -czf "$DIST/eventfold-php-$VERSION-$TRIPLE.tar.gz" "eventfold-php-$VERSION"

step "C: header, static and shared library, eventfold.pc"
c="$STAGE/c/eventfold-$VERSION"
mkdir -p "$c/include" "$c/lib/pkgconfig"
cp include/eventfold.h "$c/include/"
pack "$TARGET/libeventfold.so" "$c/lib/libeventfold.so"
pack "$TARGET/libeventfold.a" "$c/lib/libeventfold.a"
cp bindings/c/README.md LICENSE "$c/"
# Relative to the .pc itself: the tarball works wherever it is unpacked.
sed -e 's|@PREFIX@|${pcfiledir}/../..|' -e 's|@LIBDIR@|${prefix}/lib|' \
    -e 's|@INCLUDEDIR@|${prefix}/include|' -e "s|@VERSION@|$VERSION|" \
    include/eventfold.pc.in > "$c/lib/pkgconfig/eventfold.pc"
tar -C "$STAGE/c" -czf "$DIST/eventfold-c-$VERSION-$TRIPLE.tar.gz" "eventfold-$VERSION"

step "the CLI"
cli="$STAGE/cli/eventfold-cli-$VERSION"
mkdir -p "$cli/bin"
pack "$TARGET/eventfold" "$cli/bin/eventfold"
cp packaging/cli/README.md LICENSE "$cli/"
tar -C "$STAGE/cli" -czf "$DIST/eventfold-cli-$VERSION-$TRIPLE.tar.gz" "eventfold-cli-$VERSION"

(cd "$DIST" && sha256sum -- * > SHA256SUMS)
echo "== $DIST ($VERSION, profile $PROFILE), in $(elapsed "$start") s:"
(cd "$DIST" && for f in *; do [ "$f" = SHA256SUMS ] || printf '  %-48s %6s\n' "$f" "$(du -h --apparent-size "$f" | cut -f1)"; done)
