# frozen_string_literal: true

require "json"

# The shared given/when/then cases (../shared/scenarios/README.md), of
# version 0 and of version 1 (v1/), run through the public Ruby API: replay
# for `given`, propose for `when`, accept for the state after, query for
# `query`, upcast for `upcast`, project for `projection`.
class ScenarioRunner
  def self.directory
    ENV.fetch("EVENTFOLD_SCENARIOS") { File.expand_path("../../../../shared/scenarios", __dir__) }
  end

  # [[label, file, spec, case], ...], each label naming the file from the
  # scenarios directory ("v1/board.scenarios.json: ...").
  def self.cases
    dir = directory
    files = Dir[File.join(dir, "*.scenarios.json")].sort + Dir[File.join(dir, "v1", "*.scenarios.json")].sort
    files.flat_map do |file|
      spec = JSON.parse(File.read(file))
      label = file.delete_prefix("#{dir}/")
      spec["cases"].map { |c| ["#{label}: #{c['name']}", file, spec, c] }
    end
  end

  def initialize
    @domains = {}
  end

  # nil when the case passes, else what was expected and what came.
  def run(file, spec, kase)
    dir = File.dirname(file)
    return check(dir, kase) unless spec["model"]

    domain = @domains[file] ||= begin
      Eventfold::Domain.from_files(*spec["files"].map { |f| File.join(dir, f) })
    rescue Eventfold::Error => e
      e
    end
    return "the models do not compile: #{domain.message}" if domain.is_a?(Eventfold::Error)

    return upcast_case(domain, spec["model"], kase) if kase.key?("upcast")
    return projection_case(domain, kase) if kase["projection"]

    model_case(domain, spec["model"], kase)
  rescue Eventfold::Error => e
    expect_error(kase, e)
  end

  private

  # `upcast` / `events`: the events in order, each whole.
  def upcast_case(domain, model, kase)
    events = domain.upcast(model, kase["upcast"])
    return "#{expectation(kase)}, got events #{events.to_json}" unless kase.key?("events")

    same?(events, kase["events"]) ? nil : "events #{kase['events'].to_json}, got events #{events.to_json}"
  end

  # `projection`: `given` folded through project onto `tables`, compared with `rows`.
  def projection_case(domain, kase)
    tables = domain.project(kase["projection"], kase.fetch("given", []), kase["tables"])
    return "#{expectation(kase)}, got rows #{tables.to_json}" unless kase.key?("rows")

    same?(tables, kase["rows"]) ? nil : "rows #{kase['rows'].to_json}, got rows #{tables.to_json}"
  end

  def model_case(domain, model, kase)
    want = kase.fetch("then", {})
    state = domain.replay(model, kase.fetch("given", []))
    command = kase.key?("when_raw") ? kase["when_raw"] : kase["when"]
    if command
      begin
        events = domain.propose(model, state, command, now: kase["now"])
      rescue Eventfold::RejectedError => e
        raise unless want.key?("rejected")

        got = { "reason" => e.reason, "message" => e.message }
        return same?(got, want["rejected"]) ? nil : "rejected #{want['rejected'].to_json}, got rejected #{got.to_json}"
      end
      return "#{expectation(kase)}, got events #{events.to_json}" unless want.key?("events")
      return "events #{want['events'].to_json}, got events #{events.to_json}" unless same?(events, want["events"])

      events.each { |event| state = domain.accept(model, state, event) }
      return compare_state(kase, state)
    end
    if kase["query"]
      result = domain.query(model, state, kase["query"]["name"], kase["query"].fetch("args", {}))
      return "#{expectation(kase)}, got result #{result.to_json}" unless kase.key?("result")

      return same?(result, kase["result"]) ? nil : "result #{kase['result'].to_json}, got result #{result.to_json}"
    end
    return "#{expectation(kase)}, got state #{state.to_json}" if want.key?("error")

    compare_state(kase, state)
  end

  def compare_state(kase, state)
    return nil if !kase.key?("state") || same?(state, kase["state"])

    "state #{kase['state'].to_json}, got state #{state.to_json}"
  end

  def expect_error(kase, error)
    want = kase.dig("then", "error")
    got = "error #{error.details.to_json}"
    return "#{expectation(kase)}, got #{got}" unless want

    ok = want["code"] == error.code && (!want.key?("path") || want["path"] == error.path)
    ok ? nil : "error #{want.to_json}, got #{got}"
  end

  def check(dir, kase)
    sources = if kase["source"]
                { "source.model" => kase["source"] }
              else
                kase["files"].to_h { |f| [f, File.read(File.join(dir, f))] }
              end
    begin
      Eventfold::Domain.compile(sources)
      kase["ok"] ? nil : "diagnostics #{kase['diagnostics'].to_json}, got a model that compiles"
    rescue Eventfold::ModelError => e
      return "the model compiles, got #{e.message}" if kase["ok"]

      used = {}
      kase.fetch("diagnostics", []).each do |want|
        index = e.diagnostics.each_index.find do |i|
          d = e.diagnostics[i]
          !used[i] &&
            (!want.key?("line") || want["line"] == d["line"]) &&
            (!want.key?("column") || want["column"] == d["column"]) &&
            (!want.key?("contains") || d["message"].downcase.include?(want["contains"].downcase))
        end
        return "a diagnostic like #{want.to_json}, got #{e.diagnostics.to_json}" unless index

        used[index] = true
      end
      nil
    end
  end

  def expectation(kase)
    want = kase.fetch("then", {})
    %w[error rejected events].each { |k| return "#{k} #{want[k].to_json}" if want.key?(k) }
    %w[result events rows].each { |k| return "#{k} #{kase[k].to_json}" if kase.key?(k) }
    "state #{kase['state'].to_json}"
  end

  # JSON equality as the scenarios define it: keys in any order, numbers by value.
  def same?(a, b)
    case [a, b]
    in [Numeric, Numeric] then a == b
    in [Array, Array] then a.size == b.size && a.zip(b).all? { |x, y| same?(x, y) }
    in [Hash, Hash] then a.size == b.size && a.all? { |k, v| b.key?(k) && same?(v, b[k]) }
    else a == b && a.class == b.class
    end
  end
end
