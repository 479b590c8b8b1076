#!/usr/bin/env bash
# One version for every artifact: [workspace.package] version in Cargo.toml
# (the Rust crates inherit it, maturin gives it to the wheel). The manifests
# that cannot read it keep a copy, checked here; with a dist/ folder, so is
# every artifact in it. Ends with "N passed, N failed".
#   packaging/check-versions.sh [DIST]
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. packaging/common.sh
want="$(eventfold_version "$root")"
dist="${1:-}"
passed=0
failed=0
check() { # WHAT GOT
  if [ "$2" = "$want" ]; then passed=$((passed + 1))
  else failed=$((failed + 1)); echo "FAIL $1 says '$2', Cargo.toml says '$want'"; fi
}
pom_version() { # the project's own <version>, the first one after <artifactId>
  sed -n '/<modelVersion>/,/<\/version>/s/.*<version>\(.*\)<\/version>.*/\1/p' "$1" | head -1
}
pom_dep() { # the version of dev.eventfold:eventfold among a pom's dependencies
  grep -A1 '<artifactId>eventfold</artifactId>' "$1" | sed -n 's/.*<version>\(.*\)<\/version>.*/\1/p' | tail -1
}

echo "version: $want (Cargo.toml)"
[[ "$want" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "FAIL '$want' is not MAJOR.MINOR.PATCH"; exit 1; }
# The sources.
check bindings/node/package.json "$(python3 -c 'import json; print(json.load(open("bindings/node/package.json"))["version"])')"
check bindings/node/package-lock.json "$(python3 -c 'import json; print(json.load(open("bindings/node/package-lock.json"))["version"])')"
check bindings/node/npm/linux-x64-gnu/package.json "$(python3 -c 'import json; print(json.load(open("bindings/node/npm/linux-x64-gnu/package.json"))["version"])')"
check editors/vscode/package.json "$(python3 -c 'import json; print(json.load(open("editors/vscode/package.json"))["version"])')"
check bindings/jvm/pom.xml "$(pom_version bindings/jvm/pom.xml)"
check "examples/jvm/pom.xml (its eventfold dependency)" "$(pom_dep examples/jvm/pom.xml)"
check "examples/jvm-spring/pom.xml (its eventfold dependency)" "$(pom_dep examples/jvm-spring/pom.xml)"
check bindings/ruby/lib/eventfold/version.rb "$(sed -n 's/.*VERSION = "\(.*\)".*/\1/p' bindings/ruby/lib/eventfold/version.rb)"
check "bindings/python/pyproject.toml (dynamic: the crate's)" "$(grep -q 'dynamic = \["version"\]' bindings/python/pyproject.toml && echo "$want")"
for crate in core cli bench bindings/c bindings/node bindings/python bindings/jvm; do
  check "$crate/Cargo.toml (version.workspace)" "$(grep -q '^version.workspace = true' "$crate/Cargo.toml" && echo "$want")"
done
check "CHANGELOG.md (a ## [$want] section)" "$(grep -q "^## \[$want\]" CHANGELOG.md && echo "$want")"

# The artifacts.
if [ -n "$dist" ]; then
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  whl="$(ls "$dist"/eventfold-*.whl 2>/dev/null | head -1)"
  check "the wheel's METADATA" "$(unzip -p "$whl" "eventfold-*.dist-info/METADATA" 2>/dev/null | sed -n 's/^Version: //p')"
  check "the sdist's PKG-INFO" "$(tar -xzOf "$dist"/eventfold-*.tar.gz --wildcards 'eventfold-*/PKG-INFO' 2>/dev/null | sed -n 's/^Version: //p' | head -1)"
  for t in "$dist"/eventfold-"$want".tgz "$dist"/eventfold-linux-x64-gnu-*.tgz; do
    check "$(basename "$t")" "$(tar -xzOf "$t" package/package.json | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')"
  done
  check "eventfold-$want.tgz's optional eventfold-linux-x64-gnu" \
    "$(tar -xzOf "$dist/eventfold-$want.tgz" package/package.json | python3 -c 'import json,sys; print(json.load(sys.stdin)["optionalDependencies"]["eventfold-linux-x64-gnu"])')"
  check "the jar's pom.properties" "$(unzip -p "$dist/eventfold-$want.jar" META-INF/maven/dev.eventfold/eventfold/pom.properties 2>/dev/null | sed -n 's/^version=//p')"
  check "eventfold-$want.pom" "$(pom_version "$dist/eventfold-$want.pom")"
  gem="$(ls "$dist"/eventfold-*.gem 2>/dev/null | head -1)"
  check "the gem's spec" "$(tar -xOf "$gem" metadata.gz 2>/dev/null | gunzip | sed -n '/^version:/,/^[a-z]/s/^  version: //p' | head -1)"
  check "the PHP package's composer.json" "$(tar -xzOf "$dist"/eventfold-php-*.tar.gz --wildcards '*/composer.json' | python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')"
  tar -C "$tmp" -xzf "$dist"/eventfold-c-*.tar.gz
  check "the C tarball's eventfold.pc" "$(sed -n 's/^Version: //p' "$tmp"/eventfold-*/lib/pkgconfig/eventfold.pc)"
  check "libeventfold.so's eventfold_version()" "$(python3 -c 'import ctypes,sys; l=ctypes.CDLL(sys.argv[1]); l.eventfold_version.restype=ctypes.c_char_p; print(l.eventfold_version().decode())' "$tmp"/eventfold-*/lib/libeventfold.so)"
  tar -C "$tmp" -xzf "$dist"/eventfold-cli-*.tar.gz
  check "eventfold --version" "$("$tmp"/eventfold-cli-*/bin/eventfold --version | sed 's/^eventfold //')"
  for f in "$dist"/*; do
    case "$(basename "$f")" in SHA256SUMS) continue ;; esac
    check "the file name $(basename "$f")" "$(basename "$f" | grep -q -- "$want" && echo "$want")"
  done
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
