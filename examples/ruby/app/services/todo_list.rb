# frozen_string_literal: true

# A service object over the Todos model: one method per command, so that a
# controller never builds command hashes itself. Rejections and bad input
# come back as Eventfold errors for the controller to turn into statuses.
class TodoList
  MODEL = "Todos"

  def initialize(list_id, engine: Todos.engine, user: nil, request_id: nil)
    @list_id = list_id
    @engine = engine
    @metadata = { user: user, request_id: request_id }.compact
  end

  # The todos, in id order, and the version for optimistic locking.
  def show
    loaded = @engine.load(MODEL, @list_id)
    { todos: loaded["state"]["todos"].values, version: loaded["version"] }
  end

  def add(id:, text:, request_id: nil)
    run({ type: "create-new", data: { id: id, text: text } }, command_id: request_id)
  end

  def complete(id:, completed: true, expected_version: nil)
    run({ type: "change-completed", data: { id: id, completed: completed } }, expected_version: expected_version)
  end

  def remove(id:)
    run({ type: "delete", data: { id: id } })
  end

  def clear_done
    run({ type: "clear-done" })
  end

  def remaining = @engine.query(MODEL, @list_id, "remaining")

  private

  def run(command, **options)
    result = @engine.execute(MODEL, @list_id, command, metadata: @metadata, **options.compact)
    { version: result["version"], events: result["events"].map { |e| e["type"] } }
  end
end
