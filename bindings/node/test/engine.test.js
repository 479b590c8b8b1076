'use strict'
// The Engine on memory, SQLite and PostgreSQL (with a server: stores.js):
// Promises, *Sync twins, concurrency, close.
const { test, describe, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const ef = require('..')
const { Domain, Engine, EventfoldError } = ef
const { stores, withSchema, SERVER } = require('./stores')

const domain = Domain.fromFiles(path.resolve(__dirname, '../../../examples/todos/todos.model'))
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'eventfold-node-'))
after(() => fs.rmSync(tmp, { recursive: true, force: true }))

const create = (id, text = `todo ${id}`) => ({ type: 'create-new', data: { id, text } })
const { all, durable } = stores(tmp)

for (const [kind, store, skip] of all) {
  describe(`engine on ${kind}`, { skip }, () => {
    test('execute, load, query, read and streams, as Promises', async () => {
      const engine = await Engine.open(store(), domain)
      assert.equal(engine.domain, domain)
      const pending = engine.execute('Todos', 'home', create('a', 'Buy milk'), { metadata: { user: 'ann' } })
      assert.ok(pending instanceof Promise)
      const r = await pending
      assert.equal(r.stream, 'Todos-home')
      assert.equal(r.version, 1)
      assert.equal(r.events.length, 1)
      const [e] = r.events
      assert.deepEqual([e.stream, e.version, e.type], ['Todos-home', 1, 'created'])
      assert.deepEqual(e.data, { id: 'a', text: 'Buy milk', completed: false })
      assert.equal(typeof e.position, 'number')
      assert.match(e.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7/)
      assert.equal(e.metadata.user, 'ann')
      assert.ok(e.metadata.recorded_at)

      await engine.execute('Todos', 'home', { type: 'change-completed', data: { id: 'a', completed: true } })
      const loaded = await engine.load('Todos', 'home')
      assert.equal(loaded.version, 2)
      assert.equal(loaded.state.todos.a.completed, true)
      assert.deepEqual(await engine.query('Todos', 'home', 'done-todos'), [{ id: 'a', text: 'Buy milk', completed: true }])
      assert.deepEqual((await engine.readStream('Todos-home')).map((x) => x.version), [1, 2])
      assert.deepEqual((await engine.readStream('Todos-home', { fromVersion: 2 })).map((x) => x.type), ['completed-changed'])
      await engine.execute('Todos', 'work', create('b'))
      const all = await engine.readAll()
      assert.equal(all.length, 3)
      assert.ok(all[0].position < all[1].position && all[1].position < all[2].position)
      assert.equal((await engine.readAll({ fromPosition: all[2].position })).length, 1)
      assert.equal((await engine.readAll({ limit: 2 })).length, 2)
      assert.deepEqual(
        (await engine.streams()).sort((x, y) => x.stream.localeCompare(y.stream)),
        [
          { stream: 'Todos-home', version: 2 },
          { stream: 'Todos-work', version: 1 },
        ]
      )
      assert.equal((await engine.streams({ model: 'Todos' })).length, 2)
      // a command that emits nothing appends nothing
      const none = await engine.execute('Todos', 'home', { type: 'change-completed', data: { id: 'a', completed: true } })
      assert.deepEqual([none.version, none.events], [2, []])
      await engine.close()
    })

    test('every call has a *Sync twin', () => {
      const engine = Engine.openSync(store(), domain)
      assert.equal(engine.executeSync('Todos', 'x', create('a')).version, 1)
      assert.equal(engine.loadSync('Todos', 'x').version, 1)
      assert.deepEqual(engine.querySync('Todos', 'x', 'done-todos'), [])
      assert.equal(engine.readStreamSync('Todos-x').length, 1)
      assert.equal(engine.readAllSync().length, 1)
      assert.deepEqual(engine.streamsSync(), [{ stream: 'Todos-x', version: 1 }])
      const many = engine.executeManySync([
        { model: 'Todos', id: 'x', command: create('b') },
        { model: 'Todos', id: 'y', command: create('c') },
      ])
      assert.deepEqual(
        many.map((m) => [m.stream, m.version]),
        [
          ['Todos-x', 2],
          ['Todos-y', 1],
        ]
      )
      engine.closeSync()
    })

    test('executeMany is all or nothing', async () => {
      const engine = await Engine.open(store(), domain)
      await assert.rejects(
        engine.executeMany([
          { model: 'Todos', id: 'm', command: create('a') },
          { model: 'Todos', id: 'm', command: create('a') },
        ]),
        ef.RejectedError
      )
      assert.equal((await engine.readAll()).length, 0)
      await engine.close()
    })

    test('rejections, conflicts and idempotent retries', async () => {
      const engine = await Engine.open(store(), domain)
      await engine.execute('Todos', 'l', create('a'))
      await assert.rejects(engine.execute('Todos', 'l', create('a')), (e) => e instanceof ef.RejectedError && e.reason === 'duplicate')
      await assert.rejects(
        engine.execute('Todos', 'l', create('b'), { expectedVersion: 0 }),
        (e) => e instanceof ef.VersionConflictError && e.expected === 0 && e.actual === 1
      )
      // a version past 2^53 is a BigInt, never rounded
      await assert.rejects(
        engine.execute('Todos', 'l', create('b'), { expectedVersion: 2n ** 60n }),
        (e) => e instanceof ef.VersionConflictError && e.expected === 2n ** 60n
      )
      const first = await engine.execute('Todos', 'l', create('c'), { commandId: 'cmd-1', expectedVersion: 1 })
      const again = await engine.execute('Todos', 'l', create('c'), { commandId: 'cmd-1' })
      assert.deepEqual(again, first)
      assert.equal((await engine.load('Todos', 'l')).version, 2)
      const meta = await engine.execute('Todos', 'l', create('d'), {
        now: new Date('2026-01-02T03:04:05Z'),
        correlationId: 'corr',
        causationId: 'cause',
      })
      assert.equal(meta.events[0].metadata.correlation_id, 'corr')
      assert.equal(meta.events[0].metadata.causation_id, 'cause')
      // options are checked by the core, as in every skin: its invalid_command at the option
      await assert.rejects(
        engine.execute('Todos', 'l', create('e'), { expectedversion: 1 }),
        (e) => e instanceof ef.InvalidCommandError && e.path === 'options.expectedversion' && /expected_version, command_id/.test(e.message)
      )
      await assert.rejects(
        engine.execute('Todos', 'l', create('e'), { expectedVersion: -1 }),
        (e) => e instanceof ef.InvalidCommandError && e.path === 'options.expected_version'
      )
      await assert.rejects(engine.readStream('Todos-l', { fromVersion: 'x' }), (e) => e.path === 'options.from_version')
      assert.throws(() => engine.readAllSync({ fromPosition: -1 }), (e) => e.path === 'options.from_position')
      await assert.rejects(
        engine.executeMany([{ model: 'Todos', id: 'l', command: create('e'), options: { commandId: 5 } }]),
        (e) => e instanceof ef.InvalidCommandError && e.path === 'requests[0].options.command_id'
      )
      await engine.close()
    })

    test('50 concurrent executes on one stream lose no update', async () => {
      const engine = await Engine.open(store(), domain)
      const ids = Array.from({ length: 50 }, (_, i) => `t${i}`)
      const results = await Promise.all(ids.map((id) => engine.execute('Todos', 'busy', create(id))))
      assert.deepEqual(
        results.map((r) => r.version).sort((a, b) => a - b),
        ids.map((_, i) => i + 1)
      )
      const { state, version } = await engine.load('Todos', 'busy')
      assert.equal(version, 50)
      assert.deepEqual(Object.keys(state.todos).sort(), [...ids].sort())
      const events = await engine.readStream('Todos-busy')
      assert.deepEqual(
        events.map((e) => e.version),
        ids.map((_, i) => i + 1)
      )
      await engine.close()
    })

    test('bad input rejects the Promise with an EventfoldError', async () => {
      const engine = await Engine.open(store(), domain)
      const circular = { id: 'a', text: 'x' }
      circular.me = circular
      await assert.rejects(engine.execute('Todos', 'b', { type: 'create-new', data: circular }), ef.InvalidJsonError)
      await assert.rejects(engine.execute('Todos', 'b', create(7n)), ef.InvalidCommandError)
      await assert.rejects(engine.execute('Todos', 'b', create('a', 'x'.repeat(20 * 1024 * 1024))), ef.LimitExceededError)
      await assert.rejects(engine.execute('Nope', 'b', create('a')), ef.UnknownModelError)
      await assert.rejects(engine.execute('Todos', 42, create('a')), TypeError)
      await assert.rejects(engine._panicForTest(false), ef.InternalError)
      assert.throws(() => engine._panicForTest(true), ef.InternalError)
      assert.equal((await engine.execute('Todos', 'b', create('a'))).version, 1)
      await engine.close()
    })

    test('after close every call is a StoreError; closing twice is fine', async () => {
      const engine = await Engine.open(store(), domain)
      await engine.execute('Todos', 'c', create('a'))
      await engine.close()
      await engine.close()
      engine.closeSync()
      const closed = (e) => e instanceof ef.StoreError && e instanceof EventfoldError && /closed/.test(e.message) && e.kind === 'closed'
      await assert.rejects(engine.execute('Todos', 'c', create('b')), closed)
      await assert.rejects(engine.load('Todos', 'c'), closed)
      await assert.rejects(engine.readAll(), closed)
      assert.throws(() => engine.executeSync('Todos', 'c', create('b')), closed)
      assert.throws(() => engine.streamsSync(), closed)
    })
  })
}

for (const [kind, store, skip] of durable) {
  test(`${kind} keeps the events across engines`, { skip }, async () => {
    const url = store()
    const first = await Engine.open(url, domain)
    await first.execute('Todos', 'k', create('a'))
    await first.execute('Todos', 'k', create('b'))
    await first.close()
    const second = await Engine.open(url, domain, { cacheCapacity: 0, snapshotEvery: 1 })
    const { state, version } = await second.load('Todos', 'k')
    assert.equal(version, 2)
    assert.deepEqual(Object.keys(state.todos), ['a', 'b'])
    await second.close()
  })
}

// A PostgreSQL URL that cannot be opened: unavailable, and the password
// never shows in the message.
const PASSWORD = 's3cret-pw'
const unavailable = (e) => {
  assert.ok(e instanceof ef.StoreError, `${e}`)
  assert.equal(e.code, 'store_error')
  assert.equal(e.kind, 'unavailable', e.message)
  assert.ok(!e.message.includes(PASSWORD) && !String(e).includes(PASSWORD), e.message)
  return true
}

test('a bad PostgreSQL URL is a StoreError of kind unavailable that hides the password', async () => {
  for (const query of ['?schema=Bad-Name', '?pool_size=0', '?pool_timeout=soon', '?sslmode=require', '?colour=blue']) {
    await assert.rejects(Engine.open(`postgres://ann:${PASSWORD}@127.0.0.1:5432/db${query}`, domain), unavailable, query)
  }
  // Port 1 of this machine: refused at once, no server needed.
  await assert.rejects(Engine.open(`postgresql://ann:${PASSWORD}@127.0.0.1:1/db?connect_timeout=5`, domain), (e) => {
    unavailable(e)
    assert.match(e.message, /ann:\*\*\*@127\.0\.0\.1:1/)
    return true
  })
  assert.throws(() => Engine.openSync(`postgres://ann:${PASSWORD}@127.0.0.1:1/db`, domain), unavailable)
})

test('a login the server refuses is unavailable and hides the password', { skip: !SERVER && 'no PostgreSQL server' }, async () => {
  // A user the server does not know: refused even where local logins are trusted.
  const url = SERVER.replace(/^(postgres(?:ql)?:\/\/)([^/@]*@)?/, `$1eventfold_nobody:${PASSWORD}@`)
  await assert.rejects(Engine.open(withSchema(url, 't_node_never_made'), domain), (e) => {
    unavailable(e)
    assert.match(e.message, /eventfold_nobody:\*\*\*@/)
    return true
  })
})

test('opening a store that cannot be opened is a StoreError', async () => {
  await assert.rejects(Engine.open(`sqlite:${path.join(tmp, 'no', 'such', 'dir', 'x.db')}`, domain), ef.StoreError)
  await assert.rejects(Engine.open('carrier-pigeon:', domain), EventfoldError)
  assert.throws(() => Engine.openSync('memory:', {}), TypeError)
  assert.throws(
    () => Engine.openSync('memory:', domain, { cacheCapacity: -1 }),
    (e) => e instanceof ef.InvalidCommandError && e.path === 'options.cache_capacity'
  )
  await assert.rejects(
    Engine.open('memory:', domain, { cacheSize: 1 }),
    (e) => e instanceof ef.InvalidCommandError && /cache_capacity, snapshot_every, max_attempts/.test(e.message)
  )
})

test('executeMany with no array is the core\'s invalid_command, as in every skin', async () => {
  const engine = Engine.openSync('memory:', domain)
  for (const requests of [undefined, null, 'x', 1, { model: 'Todos' }]) {
    assert.throws(
      () => engine.executeManySync(requests),
      (e) => e instanceof ef.InvalidCommandError && e.code === 'invalid_command' && /array/.test(e.message),
      `executeManySync(${JSON.stringify(requests)})`
    )
    await assert.rejects(engine.executeMany(requests), (e) => e instanceof ef.InvalidCommandError && /array/.test(e.message))
  }
  // A request that is no object: the core names it too.
  assert.throws(() => engine.executeManySync(['x']), (e) => e instanceof ef.InvalidCommandError)
  // Integers past 2^53 in a request are written exactly (the addon asks again).
  await assert.rejects(
    engine.executeMany([{ model: 'Todos', id: 'x', command: create('a'), options: { expectedVersion: 2 ** 60 } }]),
    (e) => e instanceof ef.VersionConflictError && e.expected === 2n ** 60n
  )
  engine.closeSync()
})

test('on memory:, the command path\'s Promises settle before the event loop turns, rejections too', async () => {
  // Nothing there waits on I/O, so the addon runs the call on this thread:
  // its Promise settles in this turn's microtasks, before any macrotask.
  const engine = await Engine.open('memory:', domain)
  const order = []
  const calls = [
    engine.execute('Todos', 'now', create('a')),
    engine.executeMany([{ model: 'Todos', id: 'now', command: create('b') }]),
    engine.load('Todos', 'now'),
    engine.query('Todos', 'now', 'remaining'),
    engine.execute('Todos', 'now', create('a'))
  ]
  setImmediate(() => order.push('next turn'))
  const settled = await Promise.allSettled(calls.map((p) => p.finally(() => order.push('settled'))))
  assert.deepEqual(order, ['settled', 'settled', 'settled', 'settled', 'settled'])
  assert.deepEqual(settled.map((s) => s.status), ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled', 'rejected'])
  assert.ok(settled[4].reason instanceof ef.RejectedError, String(settled[4].reason))
  assert.equal(settled[3].value, 2)
  await engine.close()
})

test('results with integers past 2^53 come back exact from the Promise calls too', async () => {
  const account = Domain.fromFiles(path.join(process.env.EVENTFOLD_SCENARIOS || path.resolve(__dirname, '../../../../shared/scenarios'), 'account.model'))
  const engine = await Engine.open('memory:', account)
  await engine.execute('Account', 'a', { type: 'open', data: { owner: 'Ann' } })
  const r = await engine.execute('Account', 'a', { type: 'deposit', data: { amount: 2 ** 60 } })
  assert.equal(r.events[0].data.amount, 2n ** 60n)
  assert.equal((await engine.load('Account', 'a')).state.balance, 2n ** 60n)
  assert.equal(engine.loadSync('Account', 'a').state.balance, 2n ** 60n)
  await engine.close()
})
