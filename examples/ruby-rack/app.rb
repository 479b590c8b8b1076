# frozen_string_literal: true

# A todo app's HTTP API as a Rack app, on the classes
# `eventfold generate --lang ruby --package App` writes. One engine for the
# process (the engine is thread-safe and its calls release the GVL, so
# Puma's or WEBrick's threads share it).
#
# Routes:
#   POST /lists/{list}/todos                {"id", "text"}   201, or 409 duplicate / 422 blank
#   POST /lists/{list}/todos/{id}/complete                   200, or 404 missing
#   GET  /lists/{list}/todos                                 the list's rows of todo_rows
#   GET  /lists/{list}                                       the stream's state and remaining
#   GET  /health                                             200 "ok"

require "json"
require "rack"
require "eventfold"
require File.join(ENV.fetch("EVENTFOLD_GENERATED", File.join(__dir__, "generated")), "eventfold_generated")

class TodoApp
  ROOT = File.expand_path("../..", __dir__)

  def initialize(store)
    @engine = Eventfold::Engine.open(store, Eventfold::Domain.from_files(File.join(ROOT, "examples/todos/todos.model")))
    @todos = App::Todos::TodosModel.new(@engine)
    @rows = App::TodoRowsTable.new(@engine)
  end

  def call(env)
    request = Rack::Request.new(env)
    route(request.request_method, request.path_info, request)
  rescue Eventfold::RejectedError => e
    status = case App::Todos::TodosRejection.of(e)
             when App::Todos::TodosRejection::DUPLICATE then 409
             when App::Todos::TodosRejection::MISSING then 404
             else 422
             end
    json(status, { error: "rejected", reason: e.reason, message: e.message })
  rescue Eventfold::Error => e
    json(400, { error: e.code, message: e.message })
  rescue ArgumentError, TypeError, JSON::ParserError => e
    # CreateNew.new(**body) with a wrong or missing keyword (ArgumentError)
    # or a value of the wrong type (TypeError).
    json(400, { error: "bad_request", message: e.message })
  end

  private

  def route(method, path, request)
    case [method, path]
    in ["GET", "/health"]
      json(200, "ok")
    in ["POST", %r{\A/lists/([\w-]+)/todos\z}]
      body = JSON.parse(request.body.read)
      raise ArgumentError, "the body must be a JSON object" unless body.is_a?(Hash)

      done = @todos.stream(Regexp.last_match(1)).create_new(App::Todos::CreateNew.new(**body.transform_keys(&:to_sym)))
      json(201, { version: done.version, events: done.events.map { |e| { type: e.class::TYPE, data: e.to_h } } })
    in ["POST", %r{\A/lists/([\w-]+)/todos/([\w-]+)/complete\z}]
      list, id = Regexp.last_match.captures
      done = @todos.stream(list).change_completed(App::Todos::ChangeCompleted.new(id: id, completed: true))
      json(200, { version: done.version })
    in ["GET", %r{\A/lists/([\w-]+)/todos\z}]
      json(200, @rows.rows(key: Regexp.last_match(1)).map(&:to_h))
    in ["GET", %r{\A/lists/([\w-]+)\z}]
      stream = @todos.stream(Regexp.last_match(1))
      json(200, { state: stream.state.to_h, remaining: stream.remaining })
    else
      json(404, { error: "not_found", message: "no route for #{method} #{path}" })
    end
  end

  def json(status, body)
    [status, { "content-type" => "application/json" }, [JSON.generate(body), "\n"]]
  end
end
