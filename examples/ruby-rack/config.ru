# frozen_string_literal: true

# rackup examples/ruby-rack/config.ru (any Rack server: WEBrick, Puma, ...)
require_relative "app"

run TodoApp.new(ENV.fetch("EVENTFOLD_STORE", "sqlite:todos.db"))
