# frozen_string_literal: true

require_relative "test_helper"

# A smoke test of the PostgreSQL store through Ruby: the same engine on an
# SQLite file and on a PostgreSQL schema of its own (`t_rb_<pid>_<n>`).
# `make test` starts a server and sets EVENTFOLD_TEST_POSTGRES to its URL
# and EVENTFOLD_REQUIRE_POSTGRES; without a server the PostgreSQL case is
# skipped, unless one is required. The schemas of this process are dropped
# before and after, with `psql` (no driver to install).
class TestPostgres < Minitest::Test
  include Helpers

  SERVER = ENV.fetch("EVENTFOLD_TEST_POSTGRES", "").then { |u| u.empty? ? nil : u }
  PREFIX = "t_rb_#{Process.pid}_"
  PASSWORD = "s3cret-pw"

  def self.psql
    found = ENV.fetch("PATH", "").split(File::PATH_SEPARATOR).map { |d| File.join(d, "psql") }.find { |p| File.executable?(p) }
    found || Dir["/usr/lib/postgresql/*/bin/psql"].max_by { |p| p[%r{/(\d+)/bin}, 1].to_i }
  end

  # Drops the schemas of this process (by their prefix), one transaction each.
  def self.drop_schemas
    return unless SERVER

    client = psql or return warn("no psql: the schemas #{PREFIX}* are left on the test server")
    args = [client, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", SERVER.split("?").first]
    like = "#{PREFIX.gsub("_", "\\_")}%"
    names = IO.popen(args + ["-c", "SELECT nspname FROM pg_namespace WHERE nspname LIKE '#{like}'"], &:read).split
    system(*args, *names.flat_map { |n| ["-c", %(DROP SCHEMA IF EXISTS "#{n}" CASCADE)] }) unless names.empty?
  end

  drop_schemas
  Minitest.after_run { drop_schemas }

  @schemas = 0
  class << self
    attr_accessor :schemas
  end

  def setup
    @dir = Dir.mktmpdir("eventfold-ruby-pg")
  end

  def teardown
    FileUtils.remove_entry(@dir) if @dir
  end

  # A new schema on the test server; skips (or fails, when a server is required) without one.
  def postgres
    unless SERVER
      flunk "EVENTFOLD_REQUIRE_POSTGRES is set but EVENTFOLD_TEST_POSTGRES is not" unless ENV.fetch("EVENTFOLD_REQUIRE_POSTGRES", "").empty?
      skip "no PostgreSQL server (set EVENTFOLD_TEST_POSTGRES=postgres://user:pass@host:port/db)"
    end
    self.class.schemas += 1
    "#{SERVER}#{SERVER.include?("?") ? "&" : "?"}schema=#{PREFIX}#{self.class.schemas}"
  end

  def create(id, text) = { type: "create-new", data: { id: id, text: text } }

  def execute_and_read_rows(url)
    Eventfold::Engine.open(url, todos) do |engine|
      engine.execute("Todos", "home", create("a", "Buy milk"))
      engine.execute("Todos", "home", create("b", "Call mum"))
      first = engine.execute("Todos", "work", create("c", "Ship it"), command_id: "c-1")
      assert_equal first, engine.execute("Todos", "work", create("c", "Ship it"), command_id: "c-1")
      engine.execute("Todos", "home", { type: "change-completed", data: { id: "a", completed: true } })
      assert_equal 3, engine.load("Todos", "home")["version"]
      assert_equal [1, 2, 3, 4], engine.read_all.map { |e| e["position"] }
      rows = engine.rows("todo_rows")
      assert_equal [%w[home a] + [true], %w[home b] + [false], %w[work c] + [false]],
                   rows.map { |r| [r["list_id"], r["id"], r["completed"]] }
      assert_equal %w[list_id id text completed done_at], rows[0].keys
    end
    # Another engine on the same store reads what the first wrote.
    Eventfold::Engine.open(url, todos) do |engine|
      assert_equal %w[a b], engine.rows("todo_rows", key: "home").map { |r| r["id"] }
      assert_equal 4, engine.execute("Todos", "home", create("d", "Tea"))["version"]
    end
  end

  def test_on_sqlite = execute_and_read_rows("sqlite:#{@dir}/events.db")

  def test_on_postgres = execute_and_read_rows(postgres)

  def test_a_bad_postgres_url_is_unavailable_and_hides_the_password
    ["postgres://ann:#{PASSWORD}@127.0.0.1:1/db", "postgres://ann:#{PASSWORD}@127.0.0.1/db?schema=Bad-Name"].each do |url|
      e = assert_raises(Eventfold::StoreError) { Eventfold::Engine.open(url, todos, &:close) }
      assert_equal "unavailable", e.kind, e.message
      refute_includes e.message, PASSWORD
      assert_includes e.message, "ann:***@"
    end
  end
end
