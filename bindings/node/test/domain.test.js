'use strict'
// The Domain as a Node user meets it: values in and out, errors, bad input.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const ef = require('..')
const { Domain, EventfoldError } = ef

const SCENARIOS = process.env.EVENTFOLD_SCENARIOS || path.resolve(__dirname, '../../../../shared/scenarios')
const todos = Domain.fromFiles(path.resolve(__dirname, '../../../examples/todos/todos.model'))
const account = Domain.fromFiles(path.join(SCENARIOS, 'account.model'))
const NOW = '2026-11-28T09:30:00Z'

function opened(state) {
  return account.replay('Account', [{ type: 'opened', data: { owner: 'Ann', overdraft_limit: 0, at: NOW } }], state)
}

test('propose, accept, replay and query take and give JS values', () => {
  const empty = todos.initialState('Todos')
  assert.deepEqual(empty, { todos: {} })
  const events = todos.propose('Todos', empty, { type: 'create-new', data: { id: 'a', text: 'Buy milk' } })
  assert.deepEqual(events, [{ type: 'created', data: { id: 'a', text: 'Buy milk', completed: false } }])
  const state = todos.accept('Todos', empty, events[0])
  assert.deepEqual(state, todos.replay('Todos', events))
  const done = todos.replay('Todos', [{ type: 'completed-changed', data: { id: 'a', completed: true } }], state)
  assert.deepEqual(todos.query('Todos', done, 'done-todos'), [{ id: 'a', text: 'Buy milk', completed: true }])
  // null or undefined state means the initial state
  assert.deepEqual(todos.propose('Todos', null, { type: 'clear-done' }), [])
})

test('models, describe and describeMarkdown', () => {
  assert.deepEqual(todos.models(), ['Todos'])
  const d = todos.describe()
  const create = d.models[0].commands.find((c) => c.name === 'create-new')
  assert.deepEqual(create.emits, ['created'])
  assert.ok(create.rejections.some((r) => r.reason === 'duplicate'))
  assert.match(todos.describeMarkdown(), /Todos/)
})

test('compile takes a string, {file: text} or [{name, text}], and reports every diagnostic', () => {
  const src = 'model C {\n  state { n: int }\n  command bump() { emit bumped() }\n  event bumped() { set n = n + 1 }\n}\n'
  assert.deepEqual(Domain.compile(src).models(), ['C'])
  assert.deepEqual(Domain.compile({ 'c.model': src }).models(), ['C'])
  assert.deepEqual(Domain.compile([{ name: 'c.model', text: src }]).models(), ['C'])
  const err = assert.throws(
    () => Domain.compile({ 'bad.model': 'model M {\n  command go() {\n    emit gone()\n    emit lost()\n  }\n}\n' }),
    (e) => e instanceof ef.ModelError && e instanceof EventfoldError && e.code === 'model_error'
  )
  void err
  try {
    Domain.compile({ 'bad.model': 'model M {\n  command go() {\n    emit gone()\n    emit lost()\n  }\n}\n' })
  } catch (e) {
    assert.equal(e.diagnostics.length, 2)
    assert.deepEqual(
      e.diagnostics.map((d) => [d.file, d.line, d.column]),
      [
        ['bad.model', 3, 10],
        ['bad.model', 4, 10],
      ]
    )
    assert.match(e.message, /\^/) // the rendered source line with a caret
  }
})

test('errors carry their code, class and §9 fields', () => {
  const state = todos.replay('Todos', [{ type: 'created', data: { id: 'a', text: 'x', completed: false } }])
  assert.throws(
    () => todos.propose('Todos', state, { type: 'create-new', data: { id: 'a', text: 'y' } }),
    (e) =>
      e instanceof ef.RejectedError &&
      e.name === 'RejectedError' &&
      e.reason === 'duplicate' &&
      e.message === 'todo a already exists' &&
      e.toJSON().reason === 'duplicate'
  )
  assert.throws(
    () => todos.propose('Todos', null, { type: 'create-new', data: { id: 'a' } }),
    (e) => e instanceof ef.InvalidCommandError && e.path === 'data.text'
  )
  assert.throws(() => todos.propose('Nope', null, { type: 'clear-done' }), ef.UnknownModelError)
  assert.throws(() => todos.propose('Todos', null, { type: 'fly' }), ef.UnknownCommandError)
  assert.throws(() => todos.accept('Todos', null, { type: 'teleported', data: {} }), ef.UnknownEventError)
  assert.throws(() => todos.query('Todos', null, 'nope'), ef.UnknownQueryError)
  assert.throws(
    () => account.replay('Account', [{ type: 'deposited', data: { amount: 9223372036854775807n } }, { type: 'deposited', data: { amount: 1 } }]),
    ef.EvaluationError
  )
  assert.equal(ef.errors.StoreError.name, 'StoreError')
})

test('an invariant rejects with reason "invariant"', () => {
  assert.throws(
    () => account.propose('Account', opened(), { type: 'withdraw', data: { amount: 5 } }),
    (e) => e instanceof ef.RejectedError && e.reason === 'invariant'
  )
})

test('now takes a Date or an RFC 3339 string', () => {
  const at = new Date('2026-11-28T09:30:00.250Z')
  const [e] = account.propose('Account', null, { type: 'open', data: { owner: 'Ann' } }, { now: at })
  assert.equal(e.data.at, '2026-11-28T09:30:00.25Z')
  const [f] = account.propose('Account', null, { type: 'open', data: { owner: 'Ann' } }, { now: '2026-11-28T10:30:00+01:00' })
  assert.equal(f.data.at, '2026-11-28T09:30:00Z')
  assert.throws(() => account.propose('Account', null, { type: 'open', data: { owner: 'Ann' } }, { now: new Date(NaN) }), EventfoldError)
  assert.throws(() => account.propose('Account', null, { type: 'open', data: { owner: 'Ann' } }, { now: 'yesterday' }), EventfoldError)
  // a Date in data is written as its ISO text
  const s = account.accept('Account', null, { type: 'opened', data: { owner: 'Ann', overdraft_limit: 0, at } })
  assert.equal(s.opened_at, '2026-11-28T09:30:00.25Z')
})

test('integers past 2^53 come back as BigInt and go in as BigInt, exactly', () => {
  const max = 9223372036854775807n
  const s = account.accept('Account', opened(), { type: 'deposited', data: { amount: max } })
  assert.equal(s.balance, max)
  assert.equal(typeof s.balance, 'bigint')
  // the state goes back in as it came out
  const t = account.accept('Account', s, { type: 'withdrawn', data: { amount: max - 1n } })
  assert.equal(t.balance, 1)
  assert.equal(typeof t.balance, 'number')
  assert.equal(account.query('Account', s, 'available'), max)
  // a number past 2^53 is written as the integer it holds, not as JSON.stringify rounds it
  assert.equal(account.accept('Account', opened(), { type: 'deposited', data: { amount: 2 ** 60 } }).balance, 2n ** 60n)
  assert.equal(ef.stringifyJson({ n: 2 ** 60, big: 2n ** 70n }), '{"n":1152921504606846976,"big":1180591620717411303424}')
  // a safe BigInt works as well as a number
  assert.equal(account.accept('Account', opened(), { type: 'deposited', data: { amount: 5n } }).balance, 5)
  // past the 64-bit range, or in a string field: a clean error at its path
  assert.throws(
    () => account.accept('Account', opened(), { type: 'deposited', data: { amount: 2n ** 64n } }),
    (e) => e instanceof ef.InvalidEventError && e.path === 'data.amount'
  )
  assert.throws(
    () => todos.propose('Todos', null, { type: 'create-new', data: { id: 1n, text: 'x' } }),
    (e) => e instanceof ef.InvalidCommandError && e.path === 'data.id'
  )
  // an unsafe number is never silently taken as an int of another value: 2^53 + 1 cannot be a number
  assert.equal(ef.parseJson('[9007199254740993]')[0], 9007199254740993n)
  assert.equal(ef.parseJson('[9007199254740991, 1.5, "12345678901234567"]')[0], 9007199254740991)
})

test('bad input is a clean EventfoldError, never a crash', () => {
  const circular = { id: 'a', text: 'x' }
  circular.self = circular
  assert.throws(
    () => todos.propose('Todos', null, { type: 'create-new', data: circular }),
    (e) => e instanceof ef.InvalidJsonError && /circular/.test(e.message)
  )
  const list = []
  list.push(list)
  assert.throws(() => todos.replay('Todos', list), ef.InvalidJsonError)

  const huge = 'x'.repeat(20 * 1024 * 1024)
  assert.throws(
    () => todos.propose('Todos', null, { type: 'create-new', data: { id: 'a', text: huge } }),
    (e) => e instanceof ef.LimitExceededError && e.limit === 'max_input_bytes'
  )
  assert.throws(() => Domain.compile(huge), (e) => e instanceof ef.LimitExceededError)

  let deep = {}
  for (let i = 0; i < 100000; i++) deep = { d: deep }
  assert.throws(
    () => todos.propose('Todos', null, { type: 'create-new', data: deep }),
    (e) => e instanceof ef.LimitExceededError && e.limit === 'max_input_depth'
  )
  let deepish = []
  for (let i = 0; i < 100; i++) deepish = [deepish]
  assert.throws(() => todos.propose('Todos', null, { type: 'create-new', data: { id: 'a', text: 'b', x: deepish } }), ef.LimitExceededError)

  assert.throws(() => todos.propose('Todos', null, { type: 'create-new', data: { id: '\ud800', text: 'x' } }), EventfoldError)
  assert.throws(() => todos.propose('Todos', null, null), ef.InvalidCommandError)
  assert.throws(() => todos.propose('Todos', null, undefined), ef.InvalidCommandError)
  assert.throws(() => todos.propose('Todos', null, 'create-new'), ef.InvalidCommandError)
  assert.throws(() => todos.propose('Todos', null, { type: 'create-new', data: { id: 'a', text: 'x', extra: 1 } }), ef.InvalidCommandError)
  assert.throws(() => todos.propose('Todos', { todos: 'nope' }, { type: 'clear-done' }), EventfoldError)
  assert.throws(() => todos.replay('Todos', { not: 'a list' }), ef.InvalidEventError)
  assert.throws(() => ef.parseJson('{"type": '), ef.InvalidJsonError)
  // NUL is an ordinary character
  const [e] = todos.propose('Todos', null, { type: 'create-new', data: { id: 'a\u0000b', text: 'x' } })
  assert.equal(e.data.id, 'a\u0000b')
})

test('argument mistakes are TypeErrors, as in Node itself', () => {
  assert.throws(() => todos.initialState(42), (e) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_TYPE')
  assert.throws(() => todos.propose('Todos', null, { type: 'clear-done' }, { when: 'now' }), TypeError)
  assert.throws(() => Domain.compile(42), TypeError)
  assert.throws(() => new Domain(), TypeError)
})

test('map keys come out in the order the core gives; __proto__ is an ordinary key', () => {
  let s = null
  for (const id of ['b', 'a', '__proto__', 'é', 'Z']) {
    s = todos.replay('Todos', [{ type: 'created', data: { id, text: id, completed: false } }], s)
  }
  assert.deepEqual(Object.keys(s.todos), ['Z', '__proto__', 'a', 'b', 'é'])
  assert.equal(Object.getPrototypeOf(s.todos), Object.prototype)
  assert.equal(s.todos.__proto__.text, '__proto__')
})

test('a panic in native code is an InternalError and the process lives on', () => {
  assert.throws(() => ef._internal.panicForTest(), (e) => e instanceof ef.InternalError && e.code === 'internal')
  assert.deepEqual(todos.models(), ['Todos'])
})

// A model with an int and a float param, for how JSON numbers cross.
const meter = Domain.compile(`
model Meter {
  state {
    count: int
    total: float
  }
  command log(count: int, reading: float) {
    emit recorded(count, reading)
  }
  event recorded(count: int, reading: float) {
    set count = count + count
    set total = total + reading
  }
}
`)

test('parseJson keeps a float with no fraction a float, as the core and the other skins read it', () => {
  // Text straight to the core (as PHP, Ruby and Python take a JSON string) and
  // the same text through parseJson must agree: an int refuses `1.0` and `1e2`.
  for (const count of ['1.0', '1e2', '-2.0', '1E0', '100.000']) {
    const body = ef.parseJson(`{"type": "log", "data": {"count": ${count}, "reading": 1}}`)
    assert.equal(body.data.count, Number(count)) // still a plain number to JS
    assert.throws(
      () => meter.propose('Meter', null, body),
      (e) => e instanceof ef.InvalidCommandError && e.path === 'data.count' && /expected an int/.test(e.message),
      `count ${count}`
    )
  }
  // A float param takes them; an int param takes `1`; in a list too.
  const ok = ef.parseJson('{"type": "log", "data": {"count": 3, "reading": 2.0}}')
  assert.deepEqual(meter.propose('Meter', null, ok).map((e) => e.data), [{ count: 3, reading: 2 }])
  assert.equal(ef.stringifyJson(ef.parseJson('{"a": [1.0, 2, 1.5, 1e2], "b": 3.0, "c": 4}')), '{"a":[1.0,2,1.5,100.0],"b":3.0,"c":4}')
  // The mark is no key of the value, and follows the number, not the key.
  const changed = ef.parseJson('{"type": "log", "data": {"count": 1.0, "reading": 1}}')
  assert.deepEqual(Object.keys(changed.data), ['count', 'reading'])
  changed.data.count = 7
  assert.equal(meter.propose('Meter', null, changed)[0].data.count, 7)
})

test('upcast gives the events a stored event becomes, each {type, schema, data}', () => {
  const created = { type: 'created', data: { id: 'a', text: 'Buy milk', completed: false } }
  const current = [{ type: 'created', schema: 1, data: { id: 'a', text: 'Buy milk', completed: false } }]
  assert.deepEqual(todos.upcast('Todos', created), current)
  assert.deepEqual(todos.upcast('Todos', { ...created, schema: 1 }), current)
  // integers past 2^53 cross exactly, both ways
  const big = account.upcast('Account', { type: 'deposited', data: { amount: 9223372036854775807n } })
  assert.equal(big[0].data.amount, 9223372036854775807n)
  assert.equal(account.upcast('Account', { type: 'deposited', data: { amount: 2 ** 60 } })[0].data.amount, 2n ** 60n)
})

test('upcast errors: a bad schema is invalid_event at `schema`, an undeclared version unknown_event', () => {
  const data = { id: 'a', text: 'x', completed: false }
  for (const schema of [0, -1, 1.5, '1', null, true]) {
    assert.throws(
      () => todos.upcast('Todos', { type: 'created', schema, data }),
      (e) => e instanceof ef.InvalidEventError && e.code === 'invalid_event' && e.path === 'schema',
      `schema ${String(schema)}`
    )
  }
  // an int >= 1 that no declaration has, however large
  for (const schema of [2, 2 ** 40]) assert.throws(() => todos.upcast('Todos', { type: 'created', schema, data }), ef.UnknownEventError)
  assert.throws(() => todos.upcast('Todos', { type: 'teleported', data: {} }), ef.UnknownEventError)
  assert.throws(
    () => todos.upcast('Todos', { type: 'created', data: { id: 'a' } }),
    (e) => e instanceof ef.InvalidEventError && e.path === 'data.text'
  )
  assert.throws(() => todos.upcast('Nope', { type: 'created', data }), ef.UnknownModelError)
  assert.throws(() => todos.upcast('Todos', null), ef.InvalidEventError)
  assert.throws(() => todos.upcast(1, { type: 'created', data }), (e) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_TYPE')
  const circular = { type: 'created' }
  circular.data = circular
  assert.throws(() => todos.upcast('Todos', circular), ef.InvalidJsonError)
})

test('accept and replay pass an event\'s schema through to the core', () => {
  const data = { id: 'a', text: 'x', completed: false }
  const state = todos.accept('Todos', null, { type: 'created', schema: 1, data })
  assert.deepEqual(state, todos.replay('Todos', [{ type: 'created', schema: 1, data }]))
  assert.deepEqual(state.todos.a, data)
  assert.throws(() => todos.accept('Todos', null, { type: 'created', schema: 2, data }), ef.UnknownEventError)
  assert.throws(
    () => todos.replay('Todos', [{ type: 'created', schema: 'one', data }]),
    (e) => e instanceof ef.InvalidEventError && e.path === 'schema' && /event 0/.test(e.message)
  )
})

test('project: an unknown projection is UnknownProjectionError; its arguments are checked at the edge', () => {
  const events = [{ model: 'Todos', id: 'home', type: 'created', data: { id: 'a', text: 'x', completed: false } }]
  for (const tables of [undefined, null, {}, { todo_rows: [] }]) {
    assert.throws(
      () => todos.project('no-such-projection', events, tables),
      (e) => e instanceof ef.UnknownProjectionError && e.code === 'unknown_projection' && /no-such-projection/.test(e.message)
    )
  }
  assert.throws(() => todos.project(undefined, events), (e) => e instanceof TypeError && e.code === 'ERR_INVALID_ARG_TYPE')
  const circular = []
  circular.push(circular)
  assert.throws(() => todos.project('p', circular), ef.InvalidJsonError)
  assert.equal(new ef.UnknownTableError('m').code, 'unknown_table')
})
