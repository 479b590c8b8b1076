# frozen_string_literal: true

# rackup examples/ruby-rails/config.ru (any Rack server: WEBrick, Puma, ...)
require_relative "config/environment"

run Rails.application
