'use strict'
// The error classes against the core's table of codes and fields.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const ef = require('..')

const TABLE = ef._internal.TABLE

test('the table is the core\'s: 18 codes, store_error with its kinds, io_error with its path', () => {
  assert.equal(TABLE.length, 18)
  assert.deepEqual(TABLE.find((s) => s.code === 'io_error').fields, ['path'])
  const store = TABLE.find((s) => s.code === 'store_error')
  assert.deepEqual(store.fields, ['kind'])
  assert.deepEqual(store.kinds, ['busy', 'unavailable', 'corrupt', 'closed', 'io'])
})

test('every code has its class, exported by name', () => {
  const exported = Object.keys(ef).filter((k) => ef[k] && ef[k].prototype instanceof ef.EventfoldError)
  assert.equal(exported.length, TABLE.length)
  for (const { code } of TABLE) {
    const cls = Object.values(ef.errors).find((c) => new c('m').code === code)
    assert.ok(cls, `a class for ${code}`)
    assert.equal(ef[cls.name], cls, `${cls.name} is exported`)
  }
})

test('every field of the table is a property of the error the addon throws', () => {
  for (const spec of TABLE) {
    assert.throws(
      () => ef._internal.throwExampleForTest(spec.code),
      (e) => {
        assert.ok(e instanceof ef.EventfoldError, `${spec.code} is an EventfoldError`)
        assert.equal(e.code, spec.code)
        assert.equal(typeof e.message, 'string')
        for (const field of spec.fields) {
          assert.ok(e[field] !== undefined && e[field] !== null, `${spec.code}.${field}`)
          assert.ok(field in e, `${spec.code} has ${field}`)
          assert.deepEqual(e.toJSON()[field], e[field])
        }
        assert.ok(!e.message.includes('{'), 'no JSON in the message')
        return true
      }
    )
  }
})

test('index.d.ts declares every code and field of the table', () => {
  const dts = require('node:fs').readFileSync(require('node:path').join(__dirname, '..', 'index.d.ts'), 'utf8')
  const union = dts.match(/export type ErrorCode =([^]*?)\n\n/)[1]
  const declared = [...union.matchAll(/'([a-z_]+)'/g)].map((m) => m[1])
  assert.deepEqual(declared.sort(), TABLE.map((s) => s.code).sort())
  const base = dts.match(/export declare class EventfoldError extends Error \{([^]*?)\n\}/)[1]
  for (const field of new Set(TABLE.flatMap((s) => s.fields))) {
    assert.match(base, new RegExp(`readonly ${field}\\?:`), `EventfoldError.${field} is declared`)
  }
})

test('a missing model file is an IoError naming the file, read by the core', () => {
  const missing = require('node:path').join(require('node:os').tmpdir(), 'eventfold-no-such-dir', 'todos.model')
  assert.throws(
    () => ef.Domain.fromFiles(missing),
    (e) => {
      assert.ok(e instanceof ef.IoError, `${e.name}: ${e.message}`)
      assert.ok(e instanceof ef.EventfoldError)
      assert.equal(e.code, 'io_error')
      assert.equal(e.path, missing)
      assert.match(e.message, /todos\.model/)
      assert.match(e.message, /no such file/)
      assert.deepEqual(e.toJSON(), { code: 'io_error', message: e.message, path: missing })
      return true
    }
  )
  // A folder is no file, and a file: URL is a path.
  assert.throws(() => ef.Domain.fromFiles(__dirname), (e) => e instanceof ef.IoError && e.path === __dirname && /folder/.test(e.message))
  const url = require('node:url').pathToFileURL(require('node:path').resolve(__dirname, '../../../examples/todos/todos.model'))
  assert.deepEqual(ef.Domain.fromFiles(url).models(), ['Todos'])
  assert.throws(() => ef.Domain.fromFiles(42), { code: 'ERR_INVALID_ARG_TYPE' })
})
