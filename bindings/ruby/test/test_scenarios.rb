# frozen_string_literal: true

require_relative "test_helper"
require_relative "scenario_runner"

# Every case of ../shared/scenarios, one test each.
class TestScenarios < Minitest::Test
  RUNNER = ScenarioRunner.new
  CASES = ScenarioRunner.cases

  def test_the_scenarios_are_there
    assert_operator CASES.size, :>, 50
  end

  CASES.each_with_index do |(label, file, spec, kase), i|
    define_method("test_scenario_#{i}: #{label}") do
      failure = RUNNER.run(file, spec, kase)
      assert_nil failure, "expected #{failure}"
    end
  end
end
