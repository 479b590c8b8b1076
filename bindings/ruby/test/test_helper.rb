# frozen_string_literal: true

$LOAD_PATH.unshift File.expand_path("../lib", __dir__)
require "eventfold"
require "minitest/autorun"
require "tmpdir"

module Helpers
  ROOT = File.expand_path("../../..", __dir__)

  COUNTER = <<~MODEL
    model Counter {
      record Note { text: string; tags: map<string, int> }
      state {
        count: int
        by_user: map<string, int>
        notes: list<Note>
      }
      command bump(by: int = 1, user: string = "anon") {
        reject negative "by must not be negative" if by < 0
        emit bumped(by, user)
      }
      command note(note: Note) { emit noted(note) }
      event bumped(by: int, user: string) {
        set count = count + by
        set by_user[user] = by_user.get(user, 0) + by
      }
      event noted(note: Note) { set notes = notes + [note] }
      query twice(): int = count * 2
      query plus(n: int): int = count + n
    }
  MODEL

  # Version 1: an event at its second version, an upcast, a drop, a table and a projection.
  TALLY = <<~MODEL
    model Counter {
      state { count: int; by_user: map<string, int> }
      event bumped@2(by: int, user: string, tags: map<string, int>) {
        set count = count + by
        set by_user[user] = by_user.get(user, 0) + by
      }
      /// Before users.
      upcast bumped@1(by: int, tags: map<string, int>) {
        emit bumped(by, user: "anon", tags)
      }
      /// Resets were never folded.
      upcast reset@1() {
      }
    }

    table tallies {
      key user: string
      n: int = 0
      tags: map<string, int> = {}
    }

    projection tally inline {
      on Counter.bumped {
        if !tallies.has(user) {
          insert tallies(user, tags)
        }
        update tallies[user](n: row.n + by)
      }
    }
  MODEL

  def counter = Eventfold::Domain.compile("counter.model" => COUNTER)
  def tally = Eventfold::Domain.compile("tally.model" => TALLY)
  def todos = Eventfold::Domain.from_files(File.join(ROOT, "examples/todos/todos.model"))
end
