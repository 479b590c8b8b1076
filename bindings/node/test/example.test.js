'use strict'
// examples/node/server.js answers HTTP as its comment says; tables.js reads
// the board's table with better-sqlite3, the same rows as engine.rows.
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const http = require('node:http')
const os = require('node:os')
const path = require('node:path')
const { Domain, Engine } = require('..')

const EXAMPLE = path.resolve(__dirname, '../../../examples/node')
const installed = fs.existsSync(path.join(EXAMPLE, 'node_modules', 'eventfold'))
let server
let engine
let base

before(async () => {
  if (!installed) return
  const { handler } = require(path.join(EXAMPLE, 'server.js'))
  engine = await Engine.open('memory:', Domain.fromFiles(path.join(EXAMPLE, '../todos/todos.model')))
  server = http.createServer(handler(engine))
  await new Promise((r) => server.listen(0, '127.0.0.1', r))
  base = `http://127.0.0.1:${server.address().port}`
})

after(async () => {
  if (!installed) return
  await new Promise((r) => server.close(r))
  await engine.close()
})

async function call(method, url, body, headers = {}) {
  const res = await fetch(base + url, { method, body, headers })
  return { status: res.status, json: await res.json() }
}

test('the HTTP example executes commands and serves queries', { skip: !installed && 'run npm install in examples/node' }, async () => {
  let r = await call('POST', '/Todos/home', JSON.stringify({ type: 'create-new', data: { id: 'a', text: 'Buy milk' } }))
  assert.equal(r.status, 200)
  assert.equal(r.json.version, 1)
  r = await call('POST', '/Todos/home', JSON.stringify({ type: 'change-completed', data: { id: 'a', completed: true } }), {
    'if-match': '1',
    'idempotency-key': 'k1',
  })
  assert.equal(r.json.version, 2)
  r = await call('GET', '/Todos/home')
  assert.deepEqual(r.json, { state: { todos: { a: { id: 'a', text: 'Buy milk', completed: true } } }, version: 2 })
  r = await call('GET', '/Todos/home/done-todos')
  assert.deepEqual(r.json, [{ id: 'a', text: 'Buy milk', completed: true }])
  r = await call('GET', '/streams/Todos-home/events?from=2')
  assert.deepEqual(r.json.map((e) => e.type), ['completed-changed'])
  r = await call('GET', '/describe')
  assert.equal(r.json.models[0].name, 'Todos')
  // errors: their JSON, with a fitting status
  r = await call('POST', '/Todos/home', JSON.stringify({ type: 'create-new', data: { id: 'a', text: 'again' } }))
  assert.deepEqual([r.status, r.json.code, r.json.reason], [409, 'rejected', 'duplicate'])
  r = await call('POST', '/Todos/home', '{"type": ')
  assert.deepEqual([r.status, r.json.code], [400, 'invalid_json'])
  r = await call('POST', '/Todos/home', JSON.stringify({ type: 'create-new', data: { id: 'b' } }))
  assert.deepEqual([r.status, r.json.code, r.json.path], [400, 'invalid_command', 'data.text'])
  r = await call('POST', '/Todos/home', JSON.stringify({ type: 'create-new', data: { id: 'b', text: 'x' } }), { 'if-match': '1' })
  assert.deepEqual([r.status, r.json.code, r.json.expected, r.json.actual], [409, 'version_conflict', 1, 2])
  r = await call('GET', '/Nope/home')
  assert.deepEqual([r.status, r.json.code], [404, 'unknown_model'])
})

test('the tables example reads todo_rows with better-sqlite3: the rows of engine.rows', { skip: !installed && 'run npm install in examples/node' }, async () => {
  const { main } = require(path.join(EXAMPLE, 'tables.js'))
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eventfold-tables-test-'))
  try {
    const lines = []
    const { sqlRows, rows, mailed } = await main(path.join(dir, 'todos.db'), { log: (...a) => lines.push(a.join(' ')) })
    // SQL gives a bool as 0/1 and a timestamp with six fraction digits;
    // the engine a boolean and RFC 3339: otherwise the same rows, in order
    const instant = (t) => (t === null ? null : Date.parse(t))
    assert.deepEqual(
      sqlRows.map((r) => ({ ...r, completed: r.completed === 1, done_at: instant(r.done_at) })),
      rows.map((r) => ({ ...r, done_at: instant(r.done_at) }))
    )
    assert.deepEqual(rows.map((r) => [r.list_id, r.id, r.completed]), [
      ['groceries', 'eggs', false],
      ['groceries', 'milk', true],
      ['work', 'report', false],
    ])
    assert.equal(typeof sqlRows[0].completed, 'number')
    assert.match(sqlRows[1].done_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/)
    assert.deepEqual(mailed, ['Todos-groceries: Buy milk', 'Todos-groceries: Buy eggs', 'Todos-work: Write the report'])
    assert.ok(lines.some((l) => l.includes('[x] Buy milk')))
    await assert.rejects(main(path.join(dir, 'todos.db'), { log() {} }), /exists/)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
})
