# frozen_string_literal: true

# config/initializers/eventfold.rb: compile the models once at boot and open
# one engine for the whole process. Both are thread-safe: every Puma thread
# shares them, and store calls release the GVL.
require "eventfold"

module Todos
  MODELS = File.expand_path("../../../todos/todos.model", __dir__)

  class << self
    attr_accessor :engine
  end

  def self.boot(store)
    self.engine = Eventfold::Engine.open(store, Eventfold::Domain.from_files(MODELS))
  end
end

# In a Rails app:
#   Todos.boot("sqlite:#{Rails.root.join('db', "events-#{Rails.env}.db")}")
#   at_exit { Todos.engine&.close }
