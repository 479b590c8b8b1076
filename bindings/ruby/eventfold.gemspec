# frozen_string_literal: true

require_relative "lib/eventfold/version"

Gem::Specification.new do |spec|
  spec.name = "eventfold"
  spec.version = Eventfold::VERSION
  spec.summary = "Event-sourced aggregates written once in the eventfold model language, run in-process"
  spec.description = <<~TEXT
    Compile models written in the eventfold model language and run their
    commands in your Ruby process: propose, accept, replay and query, and an
    engine that keeps the events in SQLite. A thin layer over the eventfold C
    library (libeventfold) through the ffi gem.
  TEXT
  spec.license = "Apache-2.0"
  spec.authors = ["eventfold contributors"]
  spec.required_ruby_version = ">= 3.0"
  spec.files = Dir["lib/**/*.rb"] + Dir["lib/**/*.{so,dylib}"] + Dir["sig/**/*.rbs"]
  # `make dist` puts libeventfold in lib/: a gem with a native library inside
  # is a platform gem (eventfold-VERSION-x86_64-linux.gem), installed only
  # where that library runs.
  spec.platform = Gem::Platform.local unless Dir["lib/*.{so,dylib}"].empty?
  spec.require_paths = ["lib"]
  spec.add_dependency "ffi", "~> 1.15"
  spec.add_development_dependency "minitest", "~> 5.15"
  spec.metadata["rubygems_mfa_required"] = "true"
end
