# frozen_string_literal: true

require "sqlite3"

# app/queries/board_query.rb: the screens read the table `todo_rows`, which
# the inline projection `todo-board` keeps in step with the events in the
# same transaction. It is a plain SQL table in the store file, so ordinary
# database code reads it (here Debian's ruby-sqlite3; ActiveRecord works the
# same). A bool is an INTEGER 0 or 1, a timestamp TEXT in RFC 3339.
class BoardQuery
  def initialize(path)
    @db = SQLite3::Database.new(path, readonly: true, results_as_hash: true)
    # The engine holds the write lock only while it commits.
    @db.busy_timeout = 5_000
  end

  # Every todo of one list, open ones first, as the screen shows them.
  def list(list_id)
    @db.execute(<<~SQL, [list_id]).map { |row| row.merge("completed" => row["completed"] == 1) }
      SELECT id, text, completed, done_at FROM todo_rows
      WHERE list_id = ? ORDER BY completed, id
    SQL
  end

  # Open and done counts of every list.
  def stats
    @db.execute(<<~SQL)
      SELECT list_id, SUM(completed = 0) AS open, SUM(completed) AS done
      FROM todo_rows GROUP BY list_id ORDER BY list_id
    SQL
  end

  def close = @db.close
end
