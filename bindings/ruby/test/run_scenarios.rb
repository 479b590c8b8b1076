# frozen_string_literal: true

# Every shared scenario through the Ruby API; ends with "N passed, N failed".
$LOAD_PATH.unshift File.expand_path("../lib", __dir__)
require "eventfold"
require_relative "scenario_runner"

runner = ScenarioRunner.new
passed = failed = 0
ScenarioRunner.cases.each do |label, file, spec, kase|
  failure = runner.run(file, spec, kase)
  if failure
    failed += 1
    warn "FAIL #{label}\n  expected #{failure}"
  else
    passed += 1
  end
end
puts "scenarios (Ruby): #{passed} passed, #{failed} failed"
exit(failed.zero? && passed.positive? ? 0 : 1)
