# frozen_string_literal: true

# app/controllers/todos_controller.rb: thin actions over the TodoList
# service; each Eventfold error class maps to one HTTP status.
class TodosController < ApplicationController
  rescue_from Eventfold::RejectedError do |e|
    render status: :unprocessable_entity, json: { error: e.reason, message: e.message }
  end
  rescue_from Eventfold::InvalidCommandError do |e|
    render status: :bad_request, json: { error: "invalid", path: e.path, message: e.message }
  end
  rescue_from Eventfold::VersionConflictError do |e|
    render status: :conflict, json: { error: "conflict", expected: e.expected, actual: e.actual }
  end

  # GET /lists/:list_id/todos
  def index
    render json: list.show.merge(remaining: list.remaining)
  end

  # POST /lists/:list_id/todos  { "id": "t1", "text": "Buy milk" }
  # The request id makes a retried POST idempotent.
  def create
    render status: :created, json: list.add(id: params[:id], text: params[:text], request_id: request.request_id)
  end

  # PATCH /lists/:list_id/todos/:id  { "completed": true, "version": 3 }
  def update
    render json: list.complete(id: params[:id], completed: params[:completed], expected_version: params[:version])
  end

  # DELETE /lists/:list_id/todos/:id
  def destroy
    render json: list.remove(id: params[:id])
  end

  private

  def list
    @list ||= TodoList.new(params[:list_id], user: current_user&.id, request_id: request.request_id)
  end
end
