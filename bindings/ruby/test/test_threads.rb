# frozen_string_literal: true

require_relative "test_helper"

# Eight threads executing at once, as under Puma: the GVL is released while
# the store works, and no update is lost.
class TestThreads < Minitest::Test
  include Helpers

  THREADS = 8
  PER_THREAD = 50

  def test_eight_threads_execute_at_once
    Dir.mktmpdir("eventfold-threads") do |dir|
      Eventfold::Engine.open("sqlite:#{dir}/events.db", counter) do |engine|
        start = Queue.new
        threads = Array.new(THREADS) do |t|
          Thread.new do
            start.pop
            PER_THREAD.times do |i|
              engine.execute("Counter", "shared", { type: "bump", data: { user: "t#{t}" } })
              engine.execute("Counter", "own-#{t}", { type: "bump" }, command_id: "c-#{i}")
            end
          end
        end
        THREADS.times { start << true }
        threads.each(&:join)
        shared = engine.load("Counter", "shared")
        assert_equal THREADS * PER_THREAD, shared["state"]["count"]
        assert_equal THREADS * PER_THREAD, shared["version"]
        assert_equal THREADS.times.to_h { |t| ["t#{t}", PER_THREAD] }, shared["state"]["by_user"]
        THREADS.times { |t| assert_equal PER_THREAD, engine.load("Counter", "own-#{t}")["version"] }
        versions = engine.read_stream("Counter-shared").map { |e| e["version"] }
        assert_equal (1..THREADS * PER_THREAD).to_a, versions
      end
    end
  end

  def test_a_domain_is_shared_between_threads
    d = counter
    results = Array.new(THREADS) { Thread.new { Array.new(200) { d.propose("Counter", nil, { type: "bump" }) } } }.map(&:value)
    assert(results.flatten.all? { |e| e["data"]["by"] == 1 })
  end
end
