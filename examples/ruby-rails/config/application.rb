# frozen_string_literal: true

# A Rails application with only what a JSON API needs: Action Controller
# (and the Active Support and Rack under it), no database, no asset
# pipeline, no mailer, no jobs. Every gem is Debian's (`apt-get install
# ruby-rails`); there is no Gemfile and no Bundler.
require "rails"
require "action_controller/railtie"

module TodosRails
  class Application < Rails::Application
    config.load_defaults 6.1
    config.root = File.expand_path("..", __dir__)
    config.api_only = true

    # Load the app once, at boot, in every environment: no reloading, no
    # file watcher, and a request never autoloads.
    config.cache_classes = true
    config.eager_load = true

    # Log warnings and worse to stderr, not to log/ beside the app.
    config.logger = ActiveSupport::Logger.new($stderr, level: :warn)
    config.log_level = :warn

    # Errors answer as JSON (see TodosController), not as debug pages, and
    # every Host header is accepted (the test speaks to 127.0.0.1).
    config.consider_all_requests_local = false
    config.hosts.clear

    # Nothing is signed or encrypted (no cookies, no sessions); Rails still
    # wants a key at boot.
    config.secret_key_base = ENV.fetch("SECRET_KEY_BASE", "unused-by-this-example")
  end
end
