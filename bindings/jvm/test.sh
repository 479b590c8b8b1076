#!/usr/bin/env bash
# Builds the JVM binding and runs its tests with Maven: the pom builds the
# native library and the CLI (cargo), generates the Kotlin bindings from it
# (UniFFI's bindgen, from this crate), compiles the Kotlin API and the Kotlin
# and Java tests, and runs them under Surefire (JUnit 5), among them the code
# `eventfold generate` writes for Kotlin and Java, compiled in process. Then it
# installs the jar into the local Maven repository and runs the Kotlin and
# Java examples against it, as a user's project would (the read-side ones read
# the projection's table with sqlite-jdbc from Maven), and the Spring Boot
# example's HTTP test. Installs a JDK and Maven when missing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

command -v cargo >/dev/null 2>&1 || apt_install cargo rustc
command -v javac >/dev/null 2>&1 || apt_install openjdk-17-jdk-headless
command -v mvn >/dev/null 2>&1 || apt_install maven
command -v strip >/dev/null 2>&1 || apt_install binutils

# Debian's Maven 3.8 writes colour resets even in batch mode; drop them.
mvn_q() {
  mvn -B -q --no-transfer-progress -Dstyle.color=never "$@" 2>&1 | sed -u 's/\x1b\[[0-9;]*m//g'
}
mvn=(mvn_q)
reports="$here/target/surefire-reports"
rm -rf "$reports"

# One lifecycle: the tests, then (when they pass) the jar into the local
# Maven repository for the examples. A second `mvn install -DskipTests`
# would compile the Kotlin and the tests all over again.
status=0
(cd "$here" && "${mvn[@]}" install) || status=$?

# `mvn -q` prints nothing on success; sum Surefire's reports into the summary
# line every runner ends with.
summary() {
  local tests=0 failures=0 errors=0 skipped=0 f line
  for f in "$reports"/TEST-*.xml "$root"/examples/jvm-spring/target/surefire-reports/TEST-*.xml; do
    [ -e "$f" ] || continue
    line="$(grep -m1 -o '<testsuite [^>]*>' "$f")"
    tests=$((tests + $(sed -E 's/.* tests="([0-9]+)".*/\1/' <<<"$line")))
    failures=$((failures + $(sed -E 's/.* failures="([0-9]+)".*/\1/' <<<"$line")))
    errors=$((errors + $(sed -E 's/.* errors="([0-9]+)".*/\1/' <<<"$line")))
    skipped=$((skipped + $(sed -E 's/.* skipped="([0-9]+)".*/\1/' <<<"$line")))
  done
  echo "Surefire: Tests run: $tests, Failures: $failures, Errors: $errors, Skipped: $skipped"
  echo "$((tests - failures - errors - skipped)) passed, $((failures + errors)) failed"
  [ "$tests" -gt 0 ] && [ "$failures" -eq 0 ] && [ "$errors" -eq 0 ]
}
# The jar as a user gets it: installed above, used by the examples' own pom.
examples() {
  cd "$root/examples/jvm"
  "${mvn[@]}" compile || return 1
  echo "-- examples/jvm: Kotlin"
  "${mvn[@]}" exec:java -Dexec.mainClass=example.TodosKt || return 1
  echo "-- examples/jvm: Java"
  "${mvn[@]}" exec:java -Dexec.mainClass=example.TodosJava || return 1
  # The read side: the projection's table through the engine and through JDBC.
  echo "-- examples/jvm: read side, Kotlin"
  "${mvn[@]}" exec:java -Dexec.mainClass=example.ReadSideKt || return 1
  echo "-- examples/jvm: read side, Java"
  "${mvn[@]}" exec:java -Dexec.mainClass=example.ReadSideJava || return 1
  # And with plain javac/java against the self-contained jar, no Maven.
  echo "-- examples/jvm: Java, with eventfold-*-all.jar"
  local all out="$here/target/plain-java"
  all="$(ls "$here"/target/eventfold-*-all.jar)"
  rm -rf "$out" && mkdir -p "$out"
  javac -d "$out" -cp "$all" src/main/java/example/TodosJava.java || return 1
  java -cp "$all:$out" example.TodosJava ../todos/todos.model memory: | tail -n 2 || return 1
  # The Spring Boot app, typed by the generated Java: its test starts it on a
  # random free port (a real Tomcat) and drives it over HTTP.
  echo "-- examples/jvm-spring: Spring Boot over HTTP"
  cd "$root/examples/jvm-spring"
  rm -rf target/surefire-reports
  "${mvn[@]}" -Deventfold.cli="$root/target/debug/eventfold" test || return 1
}
if [ "$status" -eq 0 ]; then
  (examples) || { echo "the JVM examples failed"; status=1; }
fi

summary || status=1
exit "$status"
