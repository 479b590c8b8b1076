#!/usr/bin/env bash
# The Ruby gem: installs ruby, ruby-ffi and ruby-sqlite3 when missing, builds
# the C library, then runs the minitest suite (scenarios, domain, engine, the
# read side, bad input, 8 threads at once, the generated classes), the
# scenario runner, the example, examples/ruby-rack under WEBrick and
# examples/ruby-rails (Debian's ruby-rails, installed when missing).
set -euo pipefail
cd "$(dirname "$0")/../.."

need() { # need CHECK PACKAGE...: apt-get install the packages when CHECK fails
  local check=$1; shift
  eval "$check" >/dev/null 2>&1 && return
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
need "command -v ruby" ruby
need "ruby -e 'require \"ffi\"; require \"minitest\"'" ruby-ffi ruby-minitest
# The example reads the projection's table with Debian's sqlite3 gem.
need "ruby -e 'require \"sqlite3\"'" ruby-sqlite3

cargo build -q -p eventfold-ffi -p eventfold-cli
export EVENTFOLD_LIB=$PWD/target/debug/libeventfold.so

cd bindings/ruby
ruby -Ilib -Itest -e 'Dir["test/test_*.rb"].sort.each { |f| require File.expand_path(f) }'
ruby test/run_scenarios.rb
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
ruby ../../examples/ruby/todos_demo.rb "$TMP/todos.db" >/dev/null
# The Rack app under WEBrick (Debian's ruby-rack, ruby-webrick), driven with curl.
need "ruby -e 'require \"rack\"; require \"webrick\"'" ruby-rack ruby-webrick
need "command -v curl" curl
cd ../..
bash examples/ruby-rack/test.sh
# The same API as a Rails app (Debian's ruby-rails 6.1: Action Controller
# from apt, no Bundler, no RubyGems), under WEBrick, driven with curl.
need "ruby -e 'require \"rails\"; require \"action_controller/railtie\"'" ruby-rails
bash examples/ruby-rails/test.sh
