# frozen_string_literal: true

require "json"
require_relative "eventfold/version"
require_relative "eventfold/errors"
require_relative "eventfold/native"
require_relative "eventfold/domain"
require_relative "eventfold/engine"
require_relative "eventfold/subscription"

# Event-sourced aggregates written once in the eventfold model language.
#
#   domain = Eventfold::Domain.from_files("todos.model")
#   engine = Eventfold::Engine.open("sqlite:db/events.db", domain)
#   engine.execute("Todos", "home", { type: "create-new", data: { id: "t1", text: "Buy milk" } })
#
# Hashes go in (string or symbol keys) and come out (string keys). Every
# failure raises a subclass of Eventfold::Error, one per error code.
module Eventfold
end
