'use strict'
// examples/node-express: the typed todo app on Express, started as its
// README says (on a free port), driven over real HTTP, then stopped.
// test.sh installs and builds it first (npm ci, tsc).
const { test, before, after } = require('node:test')
const assert = require('node:assert/strict')
const { spawn } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')
const readline = require('node:readline')

const EXAMPLE = path.resolve(__dirname, '../../../examples/node-express')
const SERVER = path.join(EXAMPLE, 'out', 'server.js')
const skip = !fs.existsSync(SERVER) && 'build examples/node-express first (npm ci && npx tsc -p .)'

let child
let base

before(async () => {
  if (skip) return
  child = spawn(process.execPath, [SERVER], { env: { ...process.env, PORT: '0', STORE: 'memory:' }, stdio: ['ignore', 'pipe', 'inherit'] })
  // Ready when it says where it listens; a bound only against a server that never starts.
  base = await new Promise((resolve, reject) => {
    const guard = setTimeout(() => reject(new Error('the server printed no `listening on` line in 60 s')), 60_000)
    child.once('exit', (code) => reject(new Error(`the server exited with ${code} before listening`)))
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      const m = line.match(/^listening on (http:\/\/\S+)$/)
      if (m) {
        clearTimeout(guard)
        resolve(m[1])
      }
    })
  })
})

after(async () => {
  if (!child || child.exitCode !== null) return
  const exited = new Promise((r) => child.once('exit', r))
  child.kill('SIGTERM')
  assert.equal(await exited, 0)
})

async function call(method, url, body) {
  const res = await fetch(base + url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: res.status, json: await res.json() }
}

test('the Express app executes commands, serves todo_rows, and answers a rejection with 409/422 and its reason', { skip }, async () => {
  let r = await call('POST', '/lists/kitchen/todos', { id: 'a', text: 'Buy milk' })
  assert.equal(r.status, 201)
  assert.deepEqual(r.json, { version: 1, events: [{ type: 'created', data: { id: 'a', text: 'Buy milk', completed: false } }] })
  r = await call('POST', '/lists/kitchen/todos', { id: 'b', text: 'Buy bread' })
  assert.equal(r.status, 201)
  r = await call('POST', '/lists/kitchen/todos/a/complete')
  assert.equal(r.status, 200)
  assert.deepEqual(r.json.events, [{ type: 'completed-changed', data: { id: 'a', completed: true } }])

  r = await call('POST', '/lists/kitchen/todos', { id: 'a', text: 'Again' })
  assert.equal(r.status, 409)
  assert.deepEqual(r.json, { code: 'rejected', reason: 'duplicate', message: 'todo a already exists' })
  r = await call('POST', '/lists/kitchen/todos', { id: 'c', text: '  ' })
  assert.equal(r.status, 422)
  assert.deepEqual(r.json, { code: 'rejected', reason: 'blank', message: 'text must not be blank' })
  r = await call('DELETE', '/lists/kitchen/todos/zz')
  assert.equal(r.status, 422)
  assert.equal(r.json.reason, 'missing')
  r = await call('POST', '/lists/kitchen/todos', { id: 'd' })
  assert.equal(r.status, 400)
  assert.equal(r.json.message, 'body.text must be a string')

  r = await call('GET', '/lists/kitchen')
  assert.equal(r.status, 200)
  assert.equal(r.json.version, 3)
  assert.equal(r.json.remaining, 1)
  r = await call('GET', '/rows?list=kitchen')
  assert.equal(r.status, 200)
  assert.deepEqual(r.json.map((row) => [row.list_id, row.id, row.text, row.completed, row.done_at === null]), [
    ['kitchen', 'a', 'Buy milk', true, false],
    ['kitchen', 'b', 'Buy bread', false, true],
  ])
  await call('POST', '/lists/garage/todos', { id: 'x', text: 'Oil' })
  r = await call('GET', '/rows')
  assert.deepEqual(r.json.map((row) => `${row.list_id}/${row.id}`), ['garage/x', 'kitchen/a', 'kitchen/b'])
  r = await call('POST', '/lists/kitchen/clear-done')
  assert.deepEqual(r.json.events, [{ type: 'done-cleared', data: { ids: ['a'] } }])
  r = await call('GET', '/rows?list=kitchen')
  assert.deepEqual(r.json.map((row) => row.id), ['b'])
})
