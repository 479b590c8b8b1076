'use strict'
// index.d.ts declares everything index.js exports, and every method of the classes.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const ef = require('..')

const dts = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8')

function classBody(name) {
  const start = dts.search(new RegExp(`export declare class ${name}[ <]`))
  assert.ok(start >= 0, `class ${name} is declared`)
  return dts.slice(start, dts.indexOf('\n}\n', start))
}

test('every export is declared', () => {
  for (const name of Object.keys(ef)) {
    if (name === '_internal') continue
    const declared = new RegExp(`export (declare )?(class|function|const) ${name}\\b|export default ${name}\\b`).test(dts) || (name === 'default' && /export default/.test(dts))
    assert.ok(declared, `${name} is declared in index.d.ts`)
  }
})

test('every method of Domain, Engine and Subscription is declared', () => {
  for (const cls of [ef.Domain, ef.Engine, ef.Subscription]) {
    const body = classBody(cls.name)
    const names = [
      ...Object.getOwnPropertyNames(cls.prototype).filter((n) => n !== 'constructor'),
      ...Object.getOwnPropertyNames(cls).filter((n) => typeof cls[n] === 'function'),
    ].filter((n) => !n.startsWith('_'))
    for (const n of names) assert.match(body, new RegExp(`\\b${n}[<(:]|readonly ${n}\\b`), `${cls.name}.${n} is declared`)
  }
})

test('every error code has its class, declared with its code', () => {
  for (const [name, cls] of Object.entries(ef.errors)) {
    assert.ok(new cls('m') instanceof ef.EventfoldError)
    assert.match(classBody(name), new RegExp(`readonly code: '${new cls('m').code}'`))
  }
})
