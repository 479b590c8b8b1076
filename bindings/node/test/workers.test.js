'use strict'
// The package from worker_threads: each worker loads the addon and opens its
// own engine; SQLite serialises their appends without losing any.
const { test, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { Worker } = require('node:worker_threads')
const { Domain, Engine } = require('..')

const MODEL = path.resolve(__dirname, '../../../examples/todos/todos.model')
const WORKER = path.join(__dirname, 'fixtures', 'worker.js')
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'eventfold-workers-'))
after(() => fs.rmSync(tmp, { recursive: true, force: true }))

function run(workerData) {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER, { workerData: { model: MODEL, ...workerData } })
    w.once('message', (m) => (m.error ? reject(Object.assign(new Error(m.error.message), m.error)) : resolve(m)))
    w.once('error', reject)
  })
}

test('four workers append to their own streams and to one shared stream of one SQLite file', async () => {
  const store = `sqlite:${path.join(tmp, 'shared.db')}`
  const own = await Promise.all([0, 1, 2, 3].map((n) => run({ store, n, stream: `own${n}`, count: 20 })))
  for (const r of own) {
    assert.deepEqual(r.results, Array.from({ length: 20 }, (_, i) => i + 1))
    assert.equal(r.proposed[0].type, 'created')
  }
  const shared = await Promise.all([0, 1, 2, 3].map((n) => run({ store, n, stream: 'shared', count: 10 })))
  const versions = shared.flatMap((r) => r.results).sort((a, b) => a - b)
  assert.deepEqual(versions, Array.from({ length: 40 }, (_, i) => i + 1))

  const engine = await Engine.open(store, Domain.fromFiles(MODEL))
  const { version, state } = await engine.load('Todos', 'shared')
  assert.equal(version, 40)
  assert.equal(Object.keys(state.todos).length, 40)
  assert.equal((await engine.readAll()).length, 4 * 20 + 40)
  await engine.close()
})

test('terminating a worker with calls in flight leaves the process alive', async () => {
  const store = `sqlite:${path.join(tmp, 'terminated.db')}`
  const w = new Worker(WORKER, { workerData: { model: MODEL, store, n: 9, forever: true } })
  await new Promise((resolve, reject) => {
    w.once('message', resolve)
    w.once('error', reject)
  })
  await new Promise((r) => setTimeout(r, 50))
  await w.terminate()
  // the main thread goes on using the same file
  const engine = await Engine.open(store, Domain.fromFiles(MODEL))
  const { version } = await engine.load('Todos', 'w9')
  assert.ok(version > 0)
  await engine.execute('Todos', 'w9', { type: 'create-new', data: { id: 'after', text: 'x' } })
  await engine.close()
})

test("workers share the main thread's memory engine, and their close only lets go of it", async () => {
  const engine = await Engine.open('memory:', Domain.fromFiles(MODEL))
  const shared = engine.share()
  const results = await Promise.all([0, 1, 2, 3].map((n) => run({ shared, n, stream: 'one', count: 25 })))
  const versions = results.flatMap((r) => r.results).sort((a, b) => a - b)
  assert.deepEqual(versions, Array.from({ length: 100 }, (_, i) => i + 1))
  // the workers closed their handles; the engine is still the main thread's
  const { version, state } = await engine.load('Todos', 'one')
  assert.equal(version, 100)
  assert.equal(Object.keys(state.todos).length, 100)
  await engine.close()
  assert.throws(() => Engine.fromShared(shared), (e) => e.code === 'store_error')
  assert.throws(() => Engine.fromShared({}), TypeError)
})
