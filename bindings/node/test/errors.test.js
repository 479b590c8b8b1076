'use strict'
// The error classes against the core's table of codes and fields.

const { test } = require('node:test')
const assert = require('node:assert/strict')
const ef = require('..')

const TABLE = ef._internal.TABLE

test('the table is the core\'s: 17 codes, store_error with its kinds', () => {
  assert.equal(TABLE.length, 17)
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
