# frozen_string_literal: true

# The todo API on the classes `eventfold generate --lang ruby --package App`
# writes. Each action builds a typed command (a wrong or missing keyword is
# an ArgumentError, a value of the wrong type a TypeError, both before the
# engine sees it), runs it through the typed facade, and renders JSON.
#
#   POST   /lists/:list_id/todos                {"id", "text"}   201, or 409 duplicate / 422 blank
#   POST   /lists/:list_id/todos/:id/complete                    200, or 404 missing
#   DELETE /lists/:list_id/todos/:id                             200, or 404 missing
#   GET    /lists/:list_id/todos                                 the list's rows of todo_rows
#   GET    /lists/:list_id                                       the stream's state and remaining
class TodosController < ActionController::API
  # The reason a command gave, as an HTTP status.
  REJECTION_STATUS = {
    App::Todos::TodosRejection::DUPLICATE => :conflict,
    App::Todos::TodosRejection::MISSING => :not_found,
    App::Todos::TodosRejection::BLANK => :unprocessable_entity
  }.freeze

  # The body is the command's fields as they are, not wrapped in {"todo": ...}.
  wrap_parameters false

  # rescue_from: the last one declared is tried first.
  rescue_from ArgumentError, TypeError, ActionDispatch::Http::Parameters::ParseError do |e|
    render status: :bad_request, json: { error: "bad_request", message: e.message }
  end
  rescue_from(Eventfold::Error) { |e| render status: :bad_request, json: { error: e.code, message: e.message } }
  rescue_from Eventfold::RejectedError do |e|
    render status: REJECTION_STATUS.fetch(App::Todos::TodosRejection.of(e), :unprocessable_entity),
           json: { error: "rejected", reason: e.reason, message: e.message }
  end

  def index
    render json: rows.rows(key: params[:list_id]).map(&:to_h)
  end

  def create
    done = stream.create_new(App::Todos::CreateNew.new(**fields))
    render status: :created, json: { version: done.version, events: done.events.map { |e| { type: e.class::TYPE, data: e.to_h } } }
  end

  def complete
    done = stream.change_completed(App::Todos::ChangeCompleted.new(id: params[:id], completed: true))
    render json: { version: done.version }
  end

  def destroy
    done = stream.delete(App::Todos::Delete.new(id: params[:id]))
    render json: { version: done.version }
  end

  def list
    render json: { state: stream.state.to_h, remaining: stream.remaining }
  end

  def no_route
    render status: :not_found, json: { error: "not_found", message: "no route for #{request.method} #{request.path}" }
  end

  private

  def engine = Rails.application.config.x.eventfold
  def stream = App::Todos::TodosModel.new(engine).stream(params[:list_id])
  def rows = App::TodoRowsTable.new(engine)

  # The JSON body as keywords, with JSON's own types (5 stays an Integer, so
  # CreateNew says "expected String, got 5"). Not `params.permit`: an
  # unknown field must fail, by name, at CreateNew.new.
  def fields
    raise ArgumentError, "send the body as JSON (content-type: application/json)" unless request.media_type == "application/json"

    # Rails parses the body once (a syntax error is a ParseError, 400) and
    # puts anything but an object under "_json"; the hash it gives has
    # indifferent (string) keys, hence to_hash before the symbols.
    fields = request.request_parameters
    raise ArgumentError, "the body must be a JSON object" if fields.key?("_json")

    fields.to_hash.transform_keys(&:to_sym)
  end
end
