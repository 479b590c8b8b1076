# frozen_string_literal: true

Rails.application.routes.draw do
  get "health", to: ->(_env) { [200, { "content-type" => "application/json" }, [%("ok"\n)]] }

  # A list is a Todos stream (`Todos-kitchen`); its todos are its rows of
  # the todo_rows table.
  scope "lists/:list_id", constraints: { list_id: /[\w-]+/, id: /[\w-]+/ } do
    get "todos", to: "todos#index"
    post "todos", to: "todos#create"
    post "todos/:id/complete", to: "todos#complete"
    delete "todos/:id", to: "todos#destroy"
    get "", to: "todos#list"
  end

  # Anything else: 404 as JSON, not Rails' routing error page.
  match "*path", to: "todos#no_route", via: :all
end
