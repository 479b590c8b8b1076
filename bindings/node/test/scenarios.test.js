'use strict'
// Every case of ../shared/scenarios and ../shared/scenarios/v1, one test each,
// through the public API.
const { test, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { Domain, EventfoldError, parseJson } = require('..')

const DIR = process.env.EVENTFOLD_SCENARIOS || path.resolve(__dirname, '../../../../shared/scenarios')

/** JSON equality as the README defines it: keys in any order, numbers by value. */
function same(a, b) {
  const num = (x) => typeof x === 'number' || typeof x === 'bigint'
  if (num(a) && num(b)) {
    if (typeof a === typeof b) return a === b
    return Number.isInteger(Number(a)) && Number.isInteger(Number(b)) && BigInt(a) === BigInt(b)
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => same(x, b[i]))
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    const ka = Object.keys(a)
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && same(a[k], b[k]))
  }
  return a === b
}

function show(x) {
  return JSON.stringify(x, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))
}

function expectSame(got, want, what) {
  if (!same(got, want)) assert.fail(`${what}: expected ${show(want)}, got ${show(got)}`)
}

function events(list) {
  return list.map((e) => ({ type: e.type, data: e.data }))
}

/** Runs `f`, which must fail as `want` says (`{code, path?}` or a rejection). */
function expectError(f, want) {
  let got
  try {
    const value = f()
    assert.fail(`expected ${show(want)}, got success ${show(value)}`)
  } catch (e) {
    if (!(e instanceof EventfoldError)) throw e
    got = e
  }
  assert.equal(got.code, want.code, `code (message: ${got.message})`)
  if (want.path !== undefined) assert.equal(got.path, want.path, 'path')
  if ('reason' in want) assert.equal(got.reason, want.reason, 'reason')
  if (want.message !== undefined) assert.equal(got.message, want.message, 'message')
}

function runCase(domain, model, c) {
  const then = c.then || {}
  if (c.projection !== undefined) {
    // `given` are whole project events ({model, id, type, data, ...}), passed as they are.
    const run = () => domain.project(c.projection, c.given || [], c.tables)
    if (then.error) return expectError(run, then.error)
    return expectSame(run(), c.rows, 'rows')
  }
  if (c.upcast !== undefined) {
    const run = () => domain.upcast(model, c.upcast)
    if (then.error) return expectError(run, then.error)
    return expectSame(run(), c.events, 'events')
  }
  // Passed whole: an event's `schema` (an older shape) is upcast by replay.
  const history = c.given || []
  if (c.when === undefined && c.when_raw === undefined && c.query === undefined) {
    if (then.error) return expectError(() => domain.replay(model, history), then.error)
    return expectSame(domain.replay(model, history), c.state, 'state')
  }
  const state = domain.replay(model, history)
  if (c.query) {
    const run = () => domain.query(model, state, c.query.name, c.query.args)
    if (then.error) return expectError(run, then.error)
    return expectSame(run(), c.result, 'result')
  }
  const options = c.now ? { now: c.now } : undefined
  const propose = () => domain.propose(model, state, c.when_raw !== undefined ? parseJson(c.when_raw) : c.when, options)
  if (then.rejected) return expectError(propose, { code: 'rejected', ...then.rejected })
  if (then.error) return expectError(propose, then.error)
  const emitted = propose()
  expectSame(emitted, events(then.events), 'events')
  if (c.state !== undefined) expectSame(domain.replay(model, emitted, state), c.state, 'state')
}

/** Each wanted diagnostic must match a different reported one. */
function matchDiagnostics(got, want) {
  const fits = (g, w) =>
    (w.line === undefined || g.line === w.line) &&
    (w.column === undefined || g.column === w.column) &&
    (w.contains === undefined || g.message.toLowerCase().includes(w.contains.toLowerCase()))
  const used = new Set()
  const assign = (i) => {
    if (i === want.length) return true
    for (let j = 0; j < got.length; j++) {
      if (!used.has(j) && fits(got[j], want[i])) {
        used.add(j)
        if (assign(i + 1)) return true
        used.delete(j)
      }
    }
    return false
  }
  return assign(0)
}

/** `files` are relative to the scenario file's directory. */
function runCheck(dir, c) {
  const sources = c.files
    ? c.files.map((f) => ({ name: f, text: fs.readFileSync(path.join(dir, f), 'utf8') }))
    : [{ name: 'source.model', text: c.source }]
  if (c.ok) return Domain.compile(sources)
  let error
  try {
    Domain.compile(sources)
  } catch (e) {
    error = e
  }
  assert.ok(error instanceof EventfoldError, 'expected the model not to compile')
  assert.equal(error.code, 'model_error')
  if (!matchDiagnostics(error.diagnostics, c.diagnostics)) {
    assert.fail(`diagnostics: expected ${show(c.diagnostics)}, got ${show(error.diagnostics)}`)
  }
}

let passed = 0
let failed = 0
function scenario(name, f) {
  test(name, () => {
    try {
      f()
      passed++
    } catch (e) {
      failed++
      throw e
    }
  })
}

/** The scenario files of `dir` and of its `v1`, as paths relative to DIR (`v1/board.scenarios.json`). */
function scenarioFiles() {
  const out = []
  for (const sub of ['', 'v1']) {
    const dir = path.join(DIR, sub)
    if (sub && !fs.existsSync(dir)) continue
    for (const f of fs.readdirSync(dir).sort()) if (f.endsWith('.scenarios.json')) out.push(path.join(sub, f))
  }
  return out
}

const files = scenarioFiles()
assert.ok(files.length > 0, `no scenarios in ${DIR}`)
for (const file of files) {
  const dir = path.dirname(path.join(DIR, file))
  // parseJson keeps integers past 2^53 exact (account: 9223372036854775807).
  const suite = parseJson(fs.readFileSync(path.join(DIR, file), 'utf8'))
  if (!suite.model) {
    for (const c of suite.cases) scenario(`${file}: ${c.name}`, () => runCheck(dir, c))
    continue
  }
  // A domain that does not compile fails each of its cases, not the whole run.
  let domain
  let compileError
  try {
    domain = Domain.compile(suite.files.map((f) => ({ name: f, text: fs.readFileSync(path.join(dir, f), 'utf8') })))
  } catch (e) {
    compileError = e
  }
  for (const c of suite.cases) {
    scenario(`${file}: ${c.name}`, () => {
      if (compileError) {
        const first = compileError.diagnostics && compileError.diagnostics[0]
        const where = first ? `: ${first.file}:${first.line}:${first.column}: ${first.message}` : `: ${compileError.message}`
        assert.fail(`${suite.files.join(', ')} does not compile (${compileError.code})${where}`)
      }
      runCase(domain, suite.model, c)
    })
  }
}

after(() => {
  console.log(`scenarios: ${passed} passed, ${failed} failed`)
})
