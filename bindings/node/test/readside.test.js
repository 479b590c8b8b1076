'use strict'
// The read side through the Engine: tables and rows (inline and async,
// always equal to the pure `project` over the stored events), waitFor,
// rebuild, the poison policies, and subscriptions iterated with
// `for await`. Nothing here waits on time: waitFor and poll timeouts are
// upper bounds only. Each runs on SQLite and on PostgreSQL (with a server:
// stores.js), those that need nothing stored on memory only.
const { test, describe, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const ef = require('..')
const { Domain, Engine, Subscription } = ef
const { stores, postgres, skipPostgres } = require('./stores')

const MODEL = path.resolve(__dirname, '../../../examples/todos/todos.model')
const TODOS = fs.readFileSync(MODEL, 'utf8')
const inline = Domain.fromFiles(MODEL)
/** The same board, kept by the async runner instead of in the write. */
const asyncBoard = Domain.compile({ 'todos.model': TODOS.replace('projection todo-board inline', 'projection todo-board async') })
/** An async projection that fails on the second text change of a todo (an insert of a key already there). */
const poison = Domain.compile({
  'todos.model': TODOS,
  'log.model': `
table todo_log {
  key list_id: string
  key id: string
}

projection todo-log async {
  on Todos.text-changed {
    insert todo_log(list_id: stream.id, id)
  }
}
`,
})

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'eventfold-node-read-'))
after(() => fs.rmSync(tmp, { recursive: true, force: true }))
const { all: everyStore, durable } = stores(tmp)

const create = (id, text = `todo ${id}`) => ({ type: 'create-new', data: { id, text } })

/** Commands on two lists that touch every handler of the board. */
async function fill(engine) {
  const results = []
  const run = async (list, command) => results.push(await engine.execute('Todos', list, command))
  await run('home', create('a', 'Buy milk'))
  await run('home', create('b', 'Call mum'))
  await run('work', create('c', 'Write the report'))
  await run('home', { type: 'change-completed', data: { id: 'a', completed: true } })
  await run('home', { type: 'change-text', data: { id: 'b', new_text: 'Call dad' } })
  await run('work', { type: 'delete', data: { id: 'c' } })
  await run('work', create('d', 'Plan the week'))
  await run('work', { type: 'change-completed', data: { id: 'd', completed: true } })
  await run('home', create('e', 'Water the plants'))
  await run('work', { type: 'clear-done' })
  return results
}

/** Stored events as `project` takes them (MODEL-LANGUAGE.md §13). */
function projectInput(stored) {
  return stored.map((e) => {
    const dash = e.stream.indexOf('-')
    const { recorded_at, ...metadata } = e.metadata
    for (const k of Object.keys(metadata)) if (typeof metadata[k] !== 'string') delete metadata[k]
    return {
      model: e.stream.slice(0, dash),
      id: e.stream.slice(dash + 1),
      type: e.type,
      schema: e.schema,
      data: e.data,
      version: e.version,
      position: e.position,
      recorded_at,
      metadata,
      event_id: e.id,
    }
  })
}

/** The oracle: the pure fold of every stored event. */
async function projected(engine, projection, table) {
  return engine.domain.project(projection, projectInput(await engine.readAll()))[table]
}

for (const [kind, store, skip] of durable) {
  describe(`tables and rows on ${kind}`, { skip }, () => {
    test('an inline projection: rows equal project over the stored events, after every command', async () => {
      const engine = await Engine.open(store(), inline)
      assert.deepEqual(await engine.rows('todo_rows'), [])
      for (const r of await fill(engine)) assert.equal(typeof r.position, 'number')
      const rows = await engine.rows('todo_rows')
      assert.deepEqual(rows, await projected(engine, 'todo-board', 'todo_rows'))
      assert.deepEqual(
        rows.map((r) => [r.list_id, r.id, r.text, r.completed]),
        [
          ['home', 'a', 'Buy milk', true],
          ['home', 'b', 'Call dad', false],
          ['home', 'e', 'Water the plants', false],
        ]
      )
      // every column in declared order
      assert.deepEqual(Object.keys(rows[0]), ['list_id', 'id', 'text', 'completed', 'done_at'])
      assert.match(rows[0].done_at, /^\d{4}-\d\d-\d\dT/)
      assert.equal(rows[1].done_at, null)
      assert.deepEqual(engine.rowsSync('todo_rows'), rows)
      await engine.close()
    })

    test('execute gives the position of its last event (0 when it appends nothing)', async () => {
      const engine = await Engine.open(store(), inline)
      const results = await fill(engine)
      const all = await engine.readAll()
      const last = results[results.length - 1]
      assert.equal(last.position, last.events[last.events.length - 1].position)
      assert.equal(last.position, all[all.length - 1].position)
      const none = await engine.execute('Todos', 'home', { type: 'change-completed', data: { id: 'a', completed: true } })
      assert.deepEqual([none.events, none.position], [[], 0])
      const many = await engine.executeMany([
        { model: 'Todos', id: 'x', command: create('x1') },
        { model: 'Todos', id: 'y', command: create('y1') },
      ])
      assert.ok(many[0].position > 0 && many[1].position > many[0].position)
      await engine.close()
    })

    test('key, after and limit', async () => {
      const engine = await Engine.open(store(), inline)
      await fill(engine)
      await engine.execute('Todos', 'work', create('f', 'Book the room'))
      await engine.execute('Todos', 'work', create('g', 'Send the minutes'))
      const all = await projected(engine, 'todo-board', 'todo_rows')
      assert.deepEqual(await engine.rows('todo_rows'), all)
      const home = all.filter((r) => r.list_id === 'home')
      assert.deepEqual(await engine.rows('todo_rows', { key: 'home' }), home)
      assert.deepEqual(await engine.rows('todo_rows', { key: ['home'] }), home)
      assert.deepEqual(await engine.rows('todo_rows', { key: ['home', 'b'] }), home.filter((r) => r.id === 'b'))
      assert.deepEqual(await engine.rows('todo_rows', { key: ['nowhere'] }), [])
      assert.deepEqual(await engine.rows('todo_rows', { limit: 2 }), all.slice(0, 2))
      assert.deepEqual(await engine.rows('todo_rows', { after: ['home', 'a'], limit: 1 }), [all[1]])
      // paging: `after` the last row read, until none is left
      const paged = []
      let page = await engine.rows('todo_rows', { limit: 2 })
      while (page.length > 0) {
        paged.push(...page)
        const lastRow = page[page.length - 1]
        page = await engine.rows('todo_rows', { after: [lastRow.list_id, lastRow.id], limit: 2 })
      }
      assert.deepEqual(paged, all)
      assert.deepEqual(engine.rowsSync('todo_rows', { key: 'work', after: ['work', 'f'] }), all.filter((r) => r.list_id === 'work' && r.id > 'f'))
      await engine.close()
    })
  })
}

describe('tables and rows on memory', () => {
  test('an unknown table, and bad options, are the core errors', async () => {
    const engine = await Engine.open('memory:', inline)
    await assert.rejects(engine.rows('todo_rowz'), (e) => e instanceof ef.UnknownTableError && e.code === 'unknown_table' && /todo_rowz/.test(e.message))
    assert.throws(() => engine.rowsSync('nope'), ef.UnknownTableError)
    await assert.rejects(engine.rows('todo_rows', { key: ['home', 'a', 'extra'] }), (e) => e instanceof ef.InvalidCommandError && e.path.startsWith('options.key'))
    await assert.rejects(engine.rows('todo_rows', { key: ['home', 5] }), (e) => e instanceof ef.InvalidCommandError && e.path === 'options.key[1]')
    await assert.rejects(engine.rows('todo_rows', { limits: 1 }), (e) => e instanceof ef.InvalidCommandError && e.path === 'options.limits')
    await assert.rejects(engine.rows(5), TypeError)
    await engine.close()
  })

  test('the engine options are checked by the core', async () => {
    await assert.rejects(
      Engine.open('memory:', inline, { onProjectionError: 'explode' }),
      (e) => e instanceof ef.InvalidCommandError && e.path === 'options.on_projection_error'
    )
    await assert.rejects(
      Engine.open('memory:', inline, { runProjections: 'yes' }),
      (e) => e instanceof ef.InvalidCommandError && e.path === 'options.run_projections'
    )
    const engine = await Engine.open('memory:', inline, { runProjections: true, onProjectionError: 'park' })
    await engine.close()
  })
})

for (const [kind, store, skip] of everyStore) {
  describe(`async projections on ${kind}`, { skip }, () => {
    test('waitFor the position execute gave, then rows equal project', async () => {
      const engine = await Engine.open(store(), asyncBoard)
      const results = await fill(engine)
      const last = results[results.length - 1]
      assert.equal(await engine.waitFor(last.position), true)
      assert.deepEqual(await engine.rows('todo_rows'), await projected(engine, 'todo-board', 'todo_rows'))
      const [status] = await engine.projections()
      assert.deepEqual(
        { ...status, position: undefined, runner: undefined },
        { name: 'todo-board', mode: 'async', status: 'live', position: undefined, lag: 0, parked: 0, error: null, rebuild: null, runner: undefined }
      )
      assert.ok(status.runner === null || typeof status.runner === 'string')
      assert.ok(status.position >= last.position)
      // named, sync, and a bigint position
      const more = await engine.execute('Todos', 'home', create('z', 'Last one'))
      assert.equal(engine.waitForSync(BigInt(more.position), { projection: 'todo-board', timeout: 30000 }), true)
      assert.deepEqual(engine.rowsSync('todo_rows'), await projected(engine, 'todo-board', 'todo_rows'))
      await assert.rejects(engine.waitFor(1, { projection: 'no-such' }), (e) => e instanceof ef.UnknownProjectionError && e.code === 'unknown_projection')
      await assert.rejects(engine.waitFor(-1), TypeError)
      await assert.rejects(engine.waitFor(1.5), TypeError)
      await engine.close()
    })

    test('an inline projection is reached at once', async () => {
      const engine = await Engine.open(store(), inline)
      const results = await fill(engine)
      assert.equal(await engine.waitFor(results[results.length - 1].position, { timeout: 0 }), true)
      assert.equal(await engine.waitFor(0), true)
      await engine.close()
    })

    test('poison: "stop" stops the projection at the event, and waitFor fails with its error', async () => {
      const engine = await Engine.open(store(), poison)
      await engine.execute('Todos', 'home', create('a'))
      const first = await engine.execute('Todos', 'home', { type: 'change-text', data: { id: 'a', new_text: 'x' } })
      assert.equal(await engine.waitFor(first.position, { projection: 'todo-log' }), true)
      const bad = await engine.execute('Todos', 'home', { type: 'change-text', data: { id: 'a', new_text: 'y' } })
      await assert.rejects(
        engine.waitFor(bad.position, { projection: 'todo-log' }),
        (e) => e instanceof ef.EvaluationError && e.code === 'evaluation_error' && /todo-log/.test(e.message)
      )
      const log = (await engine.projections()).find((p) => p.name === 'todo-log')
      assert.equal(log.status, 'stopped')
      assert.equal(log.error.code, 'evaluation_error')
      assert.equal(log.error.position, bad.position)
      assert.deepEqual(await engine.rows('todo_log'), [{ list_id: 'home', id: 'a' }])
      // the inline board is not held up by it
      assert.deepEqual(await engine.rows('todo_rows'), await projected(engine, 'todo-board', 'todo_rows'))
      await engine.close()
    })

    test('poison: "park" keeps the event in parked(projection) and goes on', async () => {
      const engine = await Engine.open(store(), poison, { onProjectionError: 'park' })
      await engine.execute('Todos', 'home', create('a'))
      await engine.execute('Todos', 'home', { type: 'change-text', data: { id: 'a', new_text: 'x' } })
      const bad = await engine.execute('Todos', 'home', { type: 'change-text', data: { id: 'a', new_text: 'y' } })
      await engine.execute('Todos', 'home', create('b'))
      const good = await engine.execute('Todos', 'home', { type: 'change-text', data: { id: 'b', new_text: 'z' } })
      assert.equal(await engine.waitFor(good.position, { projection: 'todo-log' }), true)
      assert.deepEqual(await engine.rows('todo_log'), [
        { list_id: 'home', id: 'a' },
        { list_id: 'home', id: 'b' },
      ])
      const parked = await engine.parked('todo-log')
      assert.equal(parked.length, 1)
      assert.equal(parked[0].name, 'todo-log')
      assert.equal(parked[0].position, bad.position)
      assert.equal(parked[0].event.id, bad.events[0].id)
      assert.equal(parked[0].event.type, 'text-changed')
      assert.equal(typeof parked[0].reason, 'string')
      const log = (await engine.projections()).find((p) => p.name === 'todo-log')
      assert.deepEqual([log.status, log.parked, log.error], ['live', 1, null])
      assert.deepEqual(engine.parkedSync('todo-log'), parked)
      await engine.close()
    })

    test('rebuild gives the same rows', async () => {
      const engine = await Engine.open(store(), asyncBoard)
      const results = await fill(engine)
      await engine.waitFor(results[results.length - 1].position)
      const before = await engine.rows('todo_rows')
      const rebuilt = await engine.rebuild('todo-board')
      assert.equal(rebuilt.projection, 'todo-board')
      assert.equal(rebuilt.position, results[results.length - 1].position)
      for (const key of ['events', 'millis', 'pause_millis']) assert.equal(typeof rebuilt[key], 'number', key)
      assert.deepEqual(await engine.rows('todo_rows'), before)
      assert.deepEqual(before, await projected(engine, 'todo-board', 'todo_rows'))
      assert.equal(engine.rebuildSync('todo-board').projection, 'todo-board')
      await assert.rejects(engine.rebuild('no-such'), ef.UnknownProjectionError)
      await engine.close()
    })
  })
}

for (const [kind, store, skip] of durable) {
  test(`runProjections: false leaves async projections to another engine on the same ${kind} store`, { skip }, async () => {
    const url = store()
    const writer = await Engine.open(url, asyncBoard, { runProjections: false })
    const results = await fill(writer)
    const last = results[results.length - 1]
    // No runner here: the wait can only end at its timeout.
    assert.equal(await writer.waitFor(last.position, { timeout: 0 }), false)
    assert.deepEqual(await writer.rows('todo_rows'), [])
    const runner = await Engine.open(url, asyncBoard)
    assert.equal(await runner.waitFor(last.position), true)
    // the writer reads the rows the other engine wrote
    assert.deepEqual(await writer.rows('todo_rows'), await projected(writer, 'todo-board', 'todo_rows'))
    await runner.close()
    await writer.close()
  })
}

/** A promise and its resolve, for one task to tell another that something happened. */
function signal() {
  let resolve
  const promise = new Promise((r) => (resolve = r))
  return { promise, resolve }
}

for (const [kind, store, skip] of durable) {
  describe(`subscriptions on ${kind}`, { skip }, () => {
    test('for await delivers in order; break leaves the last one unacked; a new subscriber resumes there', async () => {
      const engine = await Engine.open(store(), inline)
      await fill(engine)
      const positions = (await engine.readAll()).map((e) => e.position)
      const sub = await engine.subscribe('mailer')
      assert.ok(sub instanceof Subscription)
      assert.equal(sub.name, 'mailer')
      const seen = []
      for await (const event of sub) {
        assert.equal(typeof event.id, 'string')
        assert.equal(typeof event.schema, 'number')
        seen.push(event.position)
        if (seen.length === 4) break
      }
      assert.deepEqual(seen, positions.slice(0, 4))
      // the handle's next loop starts with the event the last one left on
      for await (const event of sub) {
        assert.equal(event.position, positions[3])
        break
      }
      await sub.close()
      assert.equal(sub.closed, true)
      await sub.close() // twice is fine

      // acked: the first three; the fourth comes again
      const info = (await engine.subscriptions()).find((s) => s.name === 'mailer')
      assert.equal(info.checkpoint, positions[2])
      assert.equal(info.lag, positions.length - 3)
      const again = await engine.subscribe('mailer')
      const rest = []
      for await (const event of again) {
        rest.push(event.position)
        if (event.position === positions[positions.length - 1]) break
      }
      assert.deepEqual(rest, positions.slice(3))
      await again.close()
      await engine.close()
    })

    test('a subscription resumes from its checkpoint in another engine on the same store', async () => {
      const url = store()
      let engine = await Engine.open(url, inline)
      await fill(engine)
      const positions = (await engine.readAll()).map((e) => e.position)
      let sub = await engine.subscribe('durable')
      const first = await sub.poll(3, 0)
      assert.deepEqual(first.map((e) => e.position), positions.slice(0, 3))
      await sub.ack(first[1].position)
      await engine.close()
      assert.equal(sub.closed, true) // the engine's close closed it
      await assert.rejects(sub.poll(1, 0), (e) => e instanceof ef.StoreError)

      engine = await Engine.open(url, inline)
      sub = engine.subscribeSync('durable', { from: 'end' }) // `from` counts only for a new one
      assert.deepEqual(sub.pollSync(2, 0).map((e) => e.position), positions.slice(2, 4))
      sub.ackSync(positions[3])
      sub.closeSync()
      assert.equal(engine.subscriptionsSync().find((s) => s.name === 'durable').checkpoint, positions[3])
      await engine.close()
    })

    test('closing from another task ends the loop; from: "end" sees only later events', async () => {
      const engine = await Engine.open(store(), inline)
      await fill(engine)
      const sub = await engine.subscribe('watcher', { from: 'end' })
      const got = []
      const first = signal()
      const loop = (async () => {
        for await (const event of sub) {
          got.push(event)
          first.resolve()
        }
        return 'ended'
      })()
      const r = await engine.execute('Todos', 'late', create('l'))
      await first.promise
      await sub.close()
      assert.equal(await loop, 'ended')
      assert.deepEqual(got.map((e) => e.position), [r.position])
      assert.equal(got[0].stream, 'Todos-late')
      await engine.close()
    })

    test('one consumer per name: a second one gets [] until the first closes', async () => {
      const engine = await Engine.open(store(), inline)
      await fill(engine)
      const positions = (await engine.readAll()).map((e) => e.position)
      const a = await engine.subscribe('solo')
      assert.deepEqual((await a.poll(1, 0)).map((e) => e.position), [positions[0]])
      const b = await engine.subscribe('solo')
      assert.deepEqual(await b.poll(10, 0), [])
      assert.equal((await engine.subscriptions()).find((s) => s.name === 'solo').active, true)
      await a.close()
      // the first event was never acked: it comes again
      const got = await b.poll(100, 30000)
      assert.equal(got[0].position, positions[0])
      await b.close()
      await engine.close()
    })

    test('park shows in parked(name), and acks the event', async () => {
      const engine = await Engine.open(store(), inline)
      await fill(engine)
      const sub = await engine.subscribe('parker')
      const [e] = await sub.poll(1, 0)
      await sub.park(e.position, 'no such address')
      const parked = await engine.parked('parker')
      assert.equal(parked.length, 1)
      assert.deepEqual([parked[0].name, parked[0].position, parked[0].reason], ['parker', e.position, 'no such address'])
      assert.equal(parked[0].event.id, e.id)
      assert.deepEqual(parked[0].event.data, e.data)
      assert.match(parked[0].parked_at, /^\d{4}-\d\d-\d\dT/)
      const info = (await engine.subscriptions()).find((s) => s.name === 'parker')
      assert.deepEqual([info.checkpoint, info.parked], [e.position, 1])
      assert.deepEqual(await engine.parked('nobody'), [])
      await sub.close()
      await engine.close()
    })

    test('filters by model and type, and from a position', async () => {
      const engine = await Engine.open(store(), inline)
      await fill(engine)
      const all = await engine.readAll()
      const created = await engine.subscribe('created-only', { types: ['created'] })
      const got = await created.poll(100, 0)
      assert.deepEqual(got.map((e) => e.position), all.filter((e) => e.type === 'created').map((e) => e.position))
      await created.close()
      const todos = await engine.subscribe('todos-only', { models: ['Todos'] })
      assert.equal((await todos.poll(100, 0)).length, all.length)
      await todos.close()
      const from = await engine.subscribe('from-fifth', { from: all[4].position })
      assert.deepEqual((await from.poll(100, 0)).map((e) => e.position), all.slice(4).map((e) => e.position))
      await from.close()
      await assert.rejects(engine.subscribe('bad', { from: 'middle' }), ef.InvalidCommandError)
      await assert.rejects(engine.subscribe('bad', { form: 'start' }), (e) => e instanceof ef.InvalidCommandError && e.path === 'options.form')
      await engine.close()
    })

    test('at least once under a concurrent writer: every position, in order, none skipped', async () => {
      const engine = await Engine.open(store(), inline)
      const sub = await engine.subscribe('follower')
      const N = 60
      const seen = []
      let lastWritten = null
      const consumer = (async () => {
        for await (const event of sub) {
          seen.push(event.position)
          if (lastWritten !== null && event.position >= lastWritten) break
        }
      })()
      let last
      for (let i = 0; i < N; i++) last = await engine.execute('Todos', `list${i % 7}`, create(`t${i}`))
      lastWritten = last.events[0].position
      // the loop may be waiting past the last event already: one more wakes it
      const wake = await engine.execute('Todos', 'wake', create('w'))
      await consumer
      const written = (await engine.readAll()).map((e) => e.position).filter((p) => p <= seen[seen.length - 1])
      assert.deepEqual(seen, written)
      assert.ok(seen[seen.length - 1] >= lastWritten && seen[seen.length - 1] <= wake.events[0].position)
      await sub.close()
      await engine.close()
    })
  })
}

test('a commit of another engine on the schema wakes a waiting loop (LISTEN/NOTIFY)', { skip: skipPostgres }, async () => {
  const url = postgres()
  const reader = await Engine.open(url, inline)
  const writer = await Engine.open(url, inline)
  const sub = await reader.subscribe('woken')
  const seen = []
  const loop = (async () => {
    for await (const event of sub) {
      seen.push(event.position)
      if (seen.length === 3) break
    }
  })()
  const written = []
  for (const id of ['a', 'b', 'c']) written.push((await writer.execute('Todos', 'l', create(id))).position)
  await loop
  assert.deepEqual(seen, written)
  await sub.close()
  await writer.close()
  await reader.close()
})

describe('subscriptions on memory', () => {
  test('closing the engine ends a loop that waits', async () => {
    const engine = await Engine.open('memory:', inline)
    const sub = await engine.subscribe('idle')
    const polled = signal()
    const loop = (async () => {
      const seen = []
      for await (const event of sub) {
        seen.push(event.position)
        polled.resolve()
      }
      return seen
    })()
    const r = await engine.execute('Todos', 'home', create('a'))
    await polled.promise
    await engine.close()
    assert.deepEqual(await loop, [r.position])
  })

  test('a borrowed engine handle subscribes until its close', async () => {
    const engine = await Engine.open('memory:', inline)
    await engine.execute('Todos', 'home', create('a'))
    const borrowed = Engine.fromShared(engine.share())
    const sub = await borrowed.subscribe('borrowed')
    assert.equal((await sub.poll(10, 0)).length, 1)
    await sub.close()
    await borrowed.close()
    await assert.rejects(borrowed.subscribe('borrowed'), (e) => e instanceof ef.StoreError && e.kind === 'closed')
    assert.throws(() => borrowed.subscribeSync('borrowed'), ef.StoreError)
    assert.equal((await engine.subscriptions()).length, 1) // the owner's engine is still open
    await engine.close()
  })
})
