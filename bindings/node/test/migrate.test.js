'use strict'
// Model changes (MODEL-LANGUAGE.md §12, ARCHITECTURE.md "Model changes, live"):
// events stored by v1 read through v2's upcast, raw reads, migratePlan,
// migrateApply, modelVersions and onModelChange. Each test on a store of its
// own, an SQLite file and a PostgreSQL schema (with a server: stores.js);
// nothing waits on time.
const { test, describe, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const ef = require('..')
const { Domain, Engine } = ef
const { stores } = require('./stores')

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'eventfold-node-migrate-'))
after(() => fs.rmSync(tmp, { recursive: true, force: true }))
const { durable } = stores(tmp)

// v1: a todo is an id and a text.
const v1 = Domain.compile({
  'todos.model': `
model Todos {
  state {
    todos: map<string, Todo>
  }
  record Todo {
    id: string
    text: string
  }
  command add(id: string, text: string) {
    reject duplicate "todo \${id} already exists" if id in todos
    emit created(id, text)
  }
  event created(id: string, text: string) {
    set todos[id] = Todo{id, text}
  }
}
`,
})

// v2's model without (or with) the upcast that reads v1's created@1.
const v2Source = (upcast) => `
model Todos {
  enum Priority { low, normal, high }
  state {
    todos: map<string, Todo>
  }
  record Todo {
    id: string
    text: string
    priority: Priority
  }
  command add(id: string, text: string, priority: Priority = Priority.normal) {
    reject duplicate "todo \${id} already exists" if id in todos
    emit created(id, text, priority)
  }
  event created@2(id: string, text: string, priority: Priority) {
    set todos[id] = Todo{id, text, priority}
  }
${upcast ? '  upcast created@1(id: string, text: string) {\n    emit created@2(id, text, priority: Priority.normal)\n  }' : ''}
}
`
// v2: a todo has a priority; stored created@1 reads as priority normal.
const v2 = Domain.compile({ 'todos.model': v2Source(true) })
// v3: v2 without the upcast, so stored created@1 is unreadable.
const v3 = Domain.compile({ 'todos.model': v2Source(false) })

/** A store with two streams written by v1: Todos-home (2 events) and Todos-work (1). */
function storeWithV1(store) {
  const url = store()
  const engine = Engine.openSync(url, v1)
  engine.executeSync('Todos', 'home', { type: 'add', data: { id: 'a', text: 'Buy milk' } })
  engine.executeSync('Todos', 'home', { type: 'add', data: { id: 'b', text: 'Call mum' } })
  engine.executeSync('Todos', 'work', { type: 'add', data: { id: 'c', text: 'Ship it' } })
  engine.closeSync()
  return url
}

for (const [kind, store, skip] of durable) {
  describe(`model changes on ${kind}`, { skip }, () => {
    test('events stored by v1 read through v2\'s upcast; a new command writes schema 2', async () => {
      const url = storeWithV1(store)
      const engine = await Engine.open(url, v2)
      try {
        const { state, version } = await engine.load('Todos', 'home')
        assert.equal(version, 2)
        assert.deepEqual(state.todos, {
          a: { id: 'a', text: 'Buy milk', priority: 'normal' },
          b: { id: 'b', text: 'Call mum', priority: 'normal' },
        })
        const read = await engine.readStream('Todos-home')
        assert.deepEqual(
          read.map((e) => [e.type, e.schema, e.data]),
          [
            ['created', 2, { id: 'a', text: 'Buy milk', priority: 'normal' }],
            ['created', 2, { id: 'b', text: 'Call mum', priority: 'normal' }],
          ]
        )
        assert.deepEqual(engine.readAllSync().map((e) => e.schema), [2, 2, 2])

        const written = await engine.execute('Todos', 'home', { type: 'add', data: { id: 'd', text: 'Water plants', priority: 'high' } })
        assert.deepEqual(written.events.map((e) => [e.schema, e.data.priority]), [[2, 'high']])
        assert.equal((await engine.load('Todos', 'home')).state.todos.d.priority, 'high')
      } finally {
        await engine.close()
      }
    })

    test('raw reads give the events as stored: schema 1 and the data v1 wrote', async () => {
      const url = storeWithV1(store)
      const engine = await Engine.open(url, v2)
      try {
        await engine.execute('Todos', 'home', { type: 'add', data: { id: 'd', text: 'Water plants' } })
        const raw = await engine.readStream('Todos-home', { raw: true })
        assert.deepEqual(
          raw.map((e) => [e.version, e.type, e.schema, e.data]),
          [
            [1, 'created', 1, { id: 'a', text: 'Buy milk' }],
            [2, 'created', 1, { id: 'b', text: 'Call mum' }],
            [3, 'created', 2, { id: 'd', text: 'Water plants', priority: 'normal' }],
          ]
        )
        assert.deepEqual(engine.readAllSync({ raw: true }).map((e) => e.schema), [1, 1, 1, 2])
        assert.deepEqual(engine.readStreamSync('Todos-home', { raw: false }).map((e) => e.schema), [2, 2, 2])
        await assert.rejects(engine.readStream('Todos-home', { raw: 'yes' }), (e) => e instanceof ef.InvalidCommandError && e.path === 'options.raw')
      } finally {
        await engine.close()
      }
    })

    test('migratePlan: v2 is ok; v3, which cannot read created@1, blocks and is refused', async () => {
      const url = storeWithV1(store)
      const engine = await Engine.open(url, v1)
      try {
        const plan = await engine.migratePlan(v2)
        assert.equal(plan.ok, true, JSON.stringify(plan))
        assert.deepEqual(plan.models.map((m) => m.model), ['Todos'])
        assert.equal(typeof plan.models[0].to, 'string')
        assert.notEqual(plan.models[0].to, plan.models[0].from)
        assert.equal(plan.replay.streams, 2)
        assert.equal(plan.replay.events, 3)
        assert.deepEqual(plan.replay.failed, [])
        assert.deepEqual(plan.blocking, [])
        assert.ok(
          plan.language.some((c) => c.model === 'Todos' && c.kind === 'event' && c.name === 'created@2'),
          `created@2 among ${JSON.stringify(plan.language)}`
        )
        // both streams gain a priority on every todo
        assert.equal(plan.replay.different, 2)
        assert.ok(plan.replay.differences.length <= 2)
        // the sync twin, with `differences`, gives the same plan with fewer differences shown
        const one = engine.migratePlanSync(v2, { differences: 1 })
        assert.equal(one.replay.different, 2)
        assert.equal(one.replay.differences.length, 1)
        await assert.rejects(engine.migratePlan(v2, { differencez: 1 }), (e) => e instanceof ef.InvalidCommandError && /differences/.test(e.message))

        const blocked = await engine.migratePlan(v3)
        assert.equal(blocked.ok, false)
        assert.equal(blocked.blocking.length, 1, JSON.stringify(blocked.blocking))
        const [item] = blocked.blocking
        assert.deepEqual([item.model, item.type, item.schema, item.events, item.code], ['Todos', 'created', 1, 3, 'unknown_event'])

        await assert.rejects(engine.migrateApply(v3), (e) => {
          assert.ok(e instanceof ef.UnknownEventError, `${e.name}: ${e.message}`)
          assert.match(e.message, /^migrate apply refused:/)
          assert.match(e.message, /migrate plan/)
          return true
        })
        assert.throws(() => engine.migrateApplySync(v3), ef.UnknownEventError)
        const versions = await engine.modelVersions()
        const active = versions.filter((v) => v.active)
        assert.equal(active.length, 1)
        assert.equal(active[0].model, 'Todos')
        assert.equal(active[0].revision, plan.models[0].from)
        // the engine still runs v1
        await engine.execute('Todos', 'work', { type: 'add', data: { id: 'e', text: 'Review' } })
        assert.deepEqual((await engine.readStream('Todos-work', { raw: true })).map((e) => e.schema), [1, 1])

        // argument mistakes are TypeErrors, rejected
        await assert.rejects(engine.migratePlan('todos.model'), (e) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_TYPE')
      } finally {
        await engine.close()
      }
    })

    test('migrateApply: v2 becomes active; a v1 engine on "fail" gets ModelChangedError, one on "follow" switches', async () => {
      const url = storeWithV1(store)
      // opened with v1 before the apply, each in its own way
      const failing = await Engine.open(url, v1, { onModelChange: 'fail' })
      const following = await Engine.open(url, v1, { onModelChange: 'follow' })
      const applier = await Engine.open(url, v1)
      try {
        const before = await applier.modelVersions()
        assert.equal(before.length, 1)
        assert.equal(before[0].active, true)
        assert.equal(typeof before[0].registered_at, 'string')

        const applied = await applier.migrateApply(v2)
        assert.equal(applied.models.length, 1)
        assert.deepEqual([applied.models[0].model, applied.models[0].from], ['Todos', before[0].revision])
        assert.equal(typeof applied.pause_millis, 'number')
        assert.ok(applied.pause_millis >= 0)
        assert.equal(typeof applied.millis, 'number')

        const versions = applier.modelVersionsSync()
        assert.equal(versions.length, 2)
        const active = versions.filter((v) => v.active)
        assert.deepEqual(active.map((v) => [v.model, v.revision]), [['Todos', applied.models[0].to]])
        assert.equal(versions.find((v) => !v.active).revision, before[0].revision)

        // the applier itself now runs v2, and its domain says so
        const mine = await applier.execute('Todos', 'home', { type: 'add', data: { id: 'x', text: 'Applied', priority: 'low' } })
        assert.deepEqual(mine.events.map((e) => [e.schema, e.data.priority]), [[2, 'low']])
        assert.equal(applier.domain, v2)

        // "fail": the command fails, nothing is written
        const head = (await applier.readAll()).length
        await assert.rejects(failing.execute('Todos', 'work', { type: 'add', data: { id: 'y', text: 'Old model' } }), (e) => {
          assert.ok(e instanceof ef.ModelChangedError, `${e.name}: ${e.message}`)
          assert.equal(e.code, 'model_changed')
          assert.equal(e.model, 'Todos')
          return true
        })
        assert.throws(() => failing.executeSync('Todos', 'work', { type: 'add', data: { id: 'y', text: 'Old model' } }), ef.ModelChangedError)
        assert.equal((await applier.readAll()).length, head)

        // "follow": the command runs again on the active model, and writes schema 2
        const followed = await following.execute('Todos', 'work', { type: 'add', data: { id: 'z', text: 'New model' } })
        assert.equal(followed.events.length, 1)
        const raw = await following.readStream('Todos-work', { raw: true })
        assert.deepEqual(
          raw.map((e) => [e.schema, e.data]),
          [
            [1, { id: 'c', text: 'Ship it' }],
            [2, { id: 'z', text: 'New model', priority: 'normal' }],
          ]
        )
        assert.equal((await following.load('Todos', 'work')).state.todos.c.priority, 'normal')
        assert.deepEqual(following.domain.describe().models[0].events.map((e) => [e.name, e.version]), [['created', 2]])
      } finally {
        await Promise.all([failing.close(), following.close(), applier.close()])
      }
    })

    test('onModelChange is checked by the core: "fail" or "follow"', async () => {
      await assert.rejects(
        Engine.open(store(), v1, { onModelChange: 'ignore' }),
        (e) => e instanceof ef.InvalidCommandError && e.path === 'options.on_model_change' && /fail/.test(e.message) && /follow/.test(e.message)
      )
      Engine.openSync(store(), v1, { onModelChange: 'follow' }).closeSync()
    })

    test('the sync twins: plan and apply on the calling thread; the engine then runs the new Domain', () => {
      const url = storeWithV1(store)
      const engine = Engine.openSync(url, v1)
      try {
        assert.equal(engine.domain, v1)
        assert.equal(engine.migratePlanSync(v2).ok, true)
        const applied = engine.migrateApplySync(v2)
        assert.deepEqual(applied.models.map((m) => m.model), ['Todos'])
        assert.equal(engine.domain, v2)
        assert.deepEqual(engine.modelVersionsSync().filter((v) => v.active).map((v) => v.revision), [applied.models[0].to])
        // the active version planned again: no model changes, nothing to replay
        const again = engine.migratePlanSync(v2)
        assert.deepEqual([again.ok, again.models, again.language, again.replay.streams], [true, [], [], 0])
        assert.throws(() => engine.migrateApplySync({}), (e) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_TYPE')
      } finally {
        engine.closeSync()
      }
    })
  })
}
