# frozen_string_literal: true

# One engine for the process, opened at boot. The engine is thread-safe and
# its calls release the GVL, so the server's threads share it.
#
# EVENTFOLD_GENERATED: where `eventfold generate --lang ruby --package App`
# wrote the classes (default: generated/ beside this app).
# EVENTFOLD_STORE: the store (default: sqlite:todos.db).
require "eventfold"
require File.join(ENV.fetch("EVENTFOLD_GENERATED", Rails.root.join("generated").to_s), "eventfold_generated")

Rails.application.config.x.eventfold = Eventfold::Engine.open(
  ENV.fetch("EVENTFOLD_STORE", "sqlite:todos.db"),
  Eventfold::Domain.from_files(Rails.root.join("../todos/todos.model").to_s)
)
