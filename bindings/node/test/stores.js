'use strict'
// The stores the engine tests run on: memory, SQLite files, and PostgreSQL
// when EVENTFOLD_TEST_POSTGRES names a server. `make test` starts a
// throwaway cluster and sets EVENTFOLD_REQUIRE_POSTGRES too, so that no
// test passes there by skipping: with it and no server, this file throws
// and every test file that requires it fails. Each PostgreSQL store is a
// schema of its own (t_node_<pid>_<n>); the schemas of this process are
// dropped when its tests start and when they end, with the `psql` client
// that comes with the server (no driver to install).
const { before, after } = require('node:test')
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const SERVER = process.env.EVENTFOLD_TEST_POSTGRES || null
if (!SERVER && process.env.EVENTFOLD_REQUIRE_POSTGRES) {
  throw new Error('EVENTFOLD_REQUIRE_POSTGRES is set but EVENTFOLD_TEST_POSTGRES is not')
}
/** Why the PostgreSQL tests are skipped, or false when they run. */
const skipPostgres = SERVER ? false : 'no PostgreSQL server (set EVENTFOLD_TEST_POSTGRES=postgres://user:pass@host:port/db)'
const PREFIX = `t_node_${process.pid}_`
let schemas = 0

/** `base` with `schema=NAME` added to its query. */
function withSchema(base, name) {
  return `${base}${base.includes('?') ? '&' : '?'}schema=${name}`
}

/** A store URL on a schema of its own of the test server. */
function postgres() {
  if (!SERVER) throw new Error(skipPostgres)
  return withSchema(SERVER, `${PREFIX}${++schemas}`)
}

function psql() {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (dir && fs.existsSync(path.join(dir, 'psql'))) return path.join(dir, 'psql')
  }
  let servers = []
  try {
    servers = fs.readdirSync('/usr/lib/postgresql').sort((a, b) => Number(a) - Number(b))
  } catch {}
  const found = servers.map((v) => `/usr/lib/postgresql/${v}/bin/psql`).filter((p) => fs.existsSync(p))
  return found.length ? found[found.length - 1] : null
}

/** Drops the schemas of this process (by their prefix), one transaction each. */
function dropSchemas() {
  if (!SERVER) return
  const client = psql()
  if (!client) {
    console.error(`no psql: the schemas ${PREFIX}* are left on the test server`)
    return
  }
  // psql takes libpq's URL, without eventfold's options.
  const args = ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', SERVER.split('?')[0]]
  const like = PREFIX.replace(/_/g, '\\_') + '%'
  try {
    const names = execFileSync(client, [...args, '-c', `SELECT nspname FROM pg_namespace WHERE nspname LIKE '${like}'`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    })
      .split('\n')
      .filter(Boolean)
    if (names.length === 0) return
    const drops = names.flatMap((n) => ['-c', `DROP SCHEMA IF EXISTS "${n}" CASCADE`])
    execFileSync(client, [...args, ...drops], { stdio: ['ignore', 'ignore', 'pipe'] })
  } catch (e) {
    console.error(`cannot drop the test schemas ${PREFIX}*: ${e.stderr || e.message}`)
  }
}

if (SERVER) {
  before(dropSchemas)
  after(dropSchemas)
}

/**
 * The stores of a test file, as [kind, make a new store URL, skip] triples
 * (skip is false or why the store's tests are skipped): `durable` ones
 * outlive their engines (SQLite files in `dir`, PostgreSQL schemas);
 * `all` adds the memory store.
 */
function stores(dir) {
  let files = 0
  const durable = [
    ['sqlite', () => `sqlite:${path.join(dir, `s${++files}.db`)}`, false],
    ['postgres', postgres, skipPostgres],
  ]
  return { all: [['memory', () => 'memory:', false], ...durable], durable }
}

module.exports = { stores, postgres, withSchema, skipPostgres, SERVER }
