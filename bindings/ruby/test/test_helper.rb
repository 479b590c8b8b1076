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

  def counter = Eventfold::Domain.compile("counter.model" => COUNTER)
  def todos = Eventfold::Domain.from_files(File.join(ROOT, "examples/todos/todos.model"))
end
