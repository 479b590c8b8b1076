# frozen_string_literal: true

# config/initializers/eventfold.rb: compile the models once at boot, and open
# one engine per process. Both are thread-safe: every Puma thread shares
# them, and store calls release the GVL.
require "eventfold"

module Todos
  MODELS = File.expand_path("../../../todos/todos.model", __dir__)

  # Pure and immutable: safe to build before Puma forks.
  DOMAIN = Eventfold::Domain.from_files(MODELS)

  class << self
    attr_accessor :engine
  end

  # Opens the process's engine. A SQLite connection must not cross a fork:
  # with `preload_app!`, call this from Puma's `on_worker_boot`.
  def self.boot(store)
    self.engine = Eventfold::Engine.open(store, DOMAIN)
  end
end

# In a Rails app (config/puma.rb):
#   on_worker_boot { Todos.boot("sqlite:#{Rails.root.join('db', "events-#{Rails.env}.db")}") }
#   on_worker_shutdown { Todos.engine&.close }
