'use strict'
// eventfold for Node: event-sourced aggregates written once in the model
// language, run in-process through N-API.
//
// The native addon speaks JSON text only; this file is the edge where JS
// values become JSON text (JSON.stringify, with an exact fallback for BigInt
// and a clear error for cycles) and JSON text becomes JS values again
// (JSON.parse, with BigInt for integers past Number.MAX_SAFE_INTEGER).

const fs = require('node:fs')
const path = require('node:path')
const { fileURLToPath } = require('node:url')

const native = loadNative()

function loadNative() {
  if (process.env.EVENTFOLD_NATIVE) return require(path.resolve(process.env.EVENTFOLD_NATIVE))
  const platform = platformName()
  // napi-rs's order: an optimised addon beside this file (`npm run
  // build:release` in a checkout), else the platform's own package, which
  // npm installs from the optional dependencies. A debug addon (`npm run
  // build`, what the tests build) is loaded only when EVENTFOLD_NATIVE
  // names it, so a folder install never runs one without saying so.
  const local = path.join(__dirname, `eventfold.${platform}.node`)
  if (fs.existsSync(local)) return require(local)
  try {
    return require(`eventfold-${platform}`)
  } catch (e) {
    if (e.code !== 'MODULE_NOT_FOUND' || !String(e.message).includes(`eventfold-${platform}`)) throw e
  }
  const debug = path.join(__dirname, `eventfold.${platform}.debug.node`)
  const found = fs.existsSync(debug)
    ? ` Only a debug build is here, ${debug}: it is slow and meant for eventfold's own tests; ` +
      `set EVENTFOLD_NATIVE=${debug} to use it anyway.`
    : ''
  throw new Error(
    `eventfold: no native addon for ${platform}: the package eventfold-${platform} is not installed ` +
      `and ${local} does not exist.${found} Install eventfold from its npm tarballs ` +
      '(npm install eventfold-*.tgz, bindings/node/README.md), or build the addon in a checkout ' +
      'with `npm run build:release` (it needs cargo).'
  )
}

/** `linux-x64-gnu`, `darwin-arm64`, `win32-x64-msvc`: napi-rs's platform names. */
function platformName() {
  let abi = ''
  if (process.platform === 'linux') {
    const report = process.report && typeof process.report.getReport === 'function' ? process.report.getReport() : null
    abi = report && report.header && report.header.glibcVersionRuntime ? '-gnu' : '-musl'
  } else if (process.platform === 'win32') {
    abi = '-msvc'
  }
  return `${process.platform}-${process.arch}${abi}`
}

// ---- errors ----

// The core's table of codes and the fields each carries (MODEL-LANGUAGE.md §9).
const TABLE = JSON.parse(native.errorTable())
const FIELDS = [...new Set(TABLE.flatMap((spec) => spec.fields))]

/** The base of every error eventfold throws; `code` is one of MODEL-LANGUAGE.md §9. */
class EventfoldError extends Error {
  constructor(code, message, fields) {
    super(message)
    this.code = code
    if (fields) {
      for (const key of FIELDS) {
        if (key in fields) this[key] = fields[key]
      }
    }
  }

  get name() {
    return this.constructor.name
  }

  /** `{code, message, ...}`: the error as it crosses every binding. */
  toJSON() {
    const out = { code: this.code, message: this.message }
    for (const key of FIELDS) {
      if (this[key] !== undefined) out[key] = this[key]
    }
    return out
  }
}

/** The class name of a code: `rejected` → RejectedError, `model_error` → ModelError. */
function className(code) {
  const pascal = code.replace(/(^|_)([a-z])/g, (_, __, c) => c.toUpperCase())
  return pascal.endsWith('Error') ? pascal : `${pascal}Error`
}

/** One subclass per code, so that `catch (e) { if (e instanceof RejectedError) ... }` reads well. */
const errors = {}
const byCode = {}
for (const { code } of TABLE) {
  const name = className(code)
  const cls = {
    [name]: class extends EventfoldError {
      constructor(message, fields) {
        super(code, message, fields)
      }
    },
  }[name]
  errors[name] = cls
  byCode[code] = cls
}

function makeError(code, message, fields) {
  const cls = byCode[code]
  return cls ? new cls(message, fields) : new EventfoldError(code, message, fields)
}

// The addon throws an Error with `code` and the fields of the core's error
// set as properties; it becomes the class of its code here. Anything else
// (a bug in this file) passes through unchanged.
function convertError(e) {
  if (e instanceof Error && !(e instanceof EventfoldError) && typeof e.code === 'string' && Object.hasOwn(byCode, e.code)) {
    const error = makeError(e.code, e.message, e)
    Error.captureStackTrace(error, convertError) // start the stack at the caller, not here
    return error
  }
  return e
}

function rethrow(e) {
  throw convertError(e)
}

// ---- JS values to JSON text ----

const MAX_DEPTH = 64 // MODEL-LANGUAGE.md §10

// The marks that cross the boundary with JSON text, as its first character:
// - EXACT on a text index.js gives the addon: written by the exact writer, so
//   its integers are exact (the addon takes them as they are);
// - EXACT on a text the addon gives back: it holds an integer past 2^53, so it
//   needs the exact parser (the addon looks for one as it hands the text over,
//   far faster than a scan here);
// - RETRY, given back in place of a result: an input text holds an integer
//   past 2^53 that JSON.stringify may have rounded (2 ** 60 is written
//   1152921504606847000); the call did nothing, and is made again with texts
//   from the exact writer.
const EXACT = '\u0001'
const RETRY = '\u0002'

// An integer of at most 15 digits is exact as a number: only text with a
// longer run of digits may hold one past 2^53 (for the rare texts checked
// here rather than by the addon: errors, and `stringifyJson`).
const LONG_DIGITS = /\d{16}/

// Set by the `toJSON` of an object from `parseJson` that holds a float with
// no fraction (`1.0`, `1e2`): JSON.stringify would write it `1`, an int, so
// the exact writer writes that text instead.
let floatSeen = false

/**
 * JSON text of `value` for the addon. `what` names the argument in error
 * messages; `exact` asks for the exact writer (after a RETRY).
 */
function toJson(value, what, exact = false) {
  if (value === undefined) return 'null'
  if (!exact) {
    floatSeen = false
    try {
      const text = JSON.stringify(value)
      if (!floatSeen) return text === undefined ? 'null' : text
    } catch {
      // BigInt, a cycle, or nesting deep enough to overflow the stack: the
      // exact writer below handles the first and names the others.
    }
  }
  const text = writeExact(value, what, 0, [])
  return EXACT + (text === undefined ? 'null' : text)
}

/** Like JSON.stringify, but a BigInt is written as its exact digits, and a float from `parseJson` as a float. */
function writeExact(value, at, depth, ancestors) {
  if (value !== null && typeof value === 'object' && typeof value.toJSON === 'function') {
    value = value.toJSON()
  }
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value)
    case 'number':
      if (!Number.isFinite(value)) return 'null'
      // The integer the number holds, digit for digit (JSON.stringify rounds
      // past 2^53; from 1e21 on it uses an exponent, which an int refuses).
      return Number.isInteger(value) && !Number.isSafeInteger(value) && Math.abs(value) < 1e21
        ? BigInt(value).toString()
        : String(value)
    case 'boolean':
      return value ? 'true' : 'false'
    case 'bigint':
      return value.toString()
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined
  }
  if (value === null) return 'null'
  if (value instanceof Number || value instanceof String || value instanceof Boolean) {
    return writeExact(value.valueOf(), at, depth, ancestors)
  }
  if (ancestors.includes(value)) {
    throw new errors.InvalidJsonError(`${at} is circular: it contains itself, so it has no JSON form`)
  }
  if (depth >= MAX_DEPTH) {
    throw new errors.LimitExceededError(`${at} is nested more than ${MAX_DEPTH} levels deep`, {
      limit: 'max_input_depth',
    })
  }
  const floats = value[FLOATS]
  const item = (key, v, path) => {
    if (floats !== undefined && typeof v === 'number' && floats.get(key) === v && Math.abs(v) < 1e21) return `${v}.0`
    return writeExact(v, path, depth + 1, ancestors)
  }
  ancestors.push(value)
  let out
  if (Array.isArray(value)) {
    const items = value.map((v, i) => item(i, v, `${at}[${i}]`) ?? 'null')
    out = `[${items.join(',')}]`
  } else {
    const items = []
    for (const key of Object.keys(value)) {
      const text = item(key, value[key], `${at}.${key}`)
      if (text !== undefined) items.push(`${JSON.stringify(key)}:${text}`)
    }
    out = `{${items.join(',')}}`
  }
  ancestors.pop()
  return out
}

function optionalJson(value, what, exact) {
  return value === undefined || value === null ? undefined : toJson(value, what, exact)
}

// ---- JSON text to JS values ----

/**
 * A text the addon gave back: JSON.parse, or the exact parser (integers past
 * Number.MAX_SAFE_INTEGER as BigInt) when the addon marked it.
 */
function parseText(text) {
  return text.charCodeAt(0) === 1 ? new ExactParser(text, 1).document() : JSON.parse(text)
}

// The floats with no fraction (`1.0`, `1e2`) that `parseJson` found in an
// object or array, by key, so that the exact writer can write them as floats
// again: a number in JS cannot say it was `1.0`, and an `int` refuses a float.
const FLOATS = Symbol('eventfold.floats')

function markedToJSON() {
  floatSeen = true
  return this
}

function markFloat(container, key, n) {
  let floats = container[FLOATS]
  if (floats === undefined) {
    floats = new Map()
    Object.defineProperty(container, FLOATS, { value: floats })
    // Non-enumerable, so it is no key of the value; JSON.stringify calls it,
    // and so learns that the exact writer is needed. (An object with a key
    // `toJSON` of its own keeps it, and its floats read as ints.)
    if (!Object.hasOwn(container, 'toJSON')) {
      Object.defineProperty(container, 'toJSON', { value: markedToJSON, writable: true, configurable: true })
    }
  }
  floats.set(key, n)
}

// A number written with a fraction or an exponent, or a long run of digits.
const NEEDS_EXACT = /\d[.eE]|\d{16}/

/**
 * Public: JSON text (a request body, a file) to JS values the way eventfold
 * reads it: integers past Number.MAX_SAFE_INTEGER as BigInt, a float with no
 * fraction (`1.0`) kept a float when the value is given to eventfold again,
 * and text that is not JSON as an InvalidJsonError.
 */
function parseJson(text) {
  if (typeof text !== 'string') text = String(text)
  try {
    return NEEDS_EXACT.test(text) ? new ExactParser(text, 0, true).document() : JSON.parse(text)
  } catch (e) {
    throw new errors.InvalidJsonError(e.message)
  }
}

class ExactParser {
  /** `from`: where the JSON starts (after a mark); `marking`: remember floats with no fraction. */
  constructor(text, from, marking = false) {
    this.text = text
    this.i = from
    this.from = from
    this.marking = marking
    this.wholeFloat = false
  }

  document() {
    const value = this.value()
    this.space()
    if (this.i !== this.text.length) return this.fail()
    return value
  }

  /** Throws V8's own SyntaxError for the text, at the right place. */
  fail() {
    return JSON.parse(this.from ? this.text.slice(this.from) : this.text)
  }

  space() {
    const t = this.text
    while (this.i < t.length && (t[this.i] === ' ' || t[this.i] === '\n' || t[this.i] === '\r' || t[this.i] === '\t')) {
      this.i++
    }
  }

  /** An item of `out` at `key`, marked when it was a float with no fraction. */
  item(out, key) {
    this.wholeFloat = false
    const value = this.value()
    if (this.wholeFloat) markFloat(out, key, value)
    this.wholeFloat = false
    return value
  }

  value() {
    this.space()
    const t = this.text
    const c = t[this.i]
    if (c === '{') {
      this.i++
      const out = {}
      this.space()
      if (t[this.i] === '}') {
        this.i++
        return out
      }
      for (;;) {
        this.space()
        const key = this.string()
        this.space()
        this.expect(':')
        const item = this.item(out, key)
        if (key === '__proto__') {
          Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true })
        } else {
          out[key] = item
        }
        this.space()
        if (t[this.i] === ',') this.i++
        else return this.expect('}'), out
      }
    }
    if (c === '[') {
      this.i++
      const out = []
      this.space()
      if (t[this.i] === ']') {
        this.i++
        return out
      }
      for (;;) {
        out.push(this.item(out, out.length))
        this.space()
        if (t[this.i] === ',') this.i++
        else return this.expect(']'), out
      }
    }
    if (c === '"') return this.string()
    const m = /-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null/y
    m.lastIndex = this.i
    const found = m.exec(t)
    if (!found) return this.fail()
    this.i = m.lastIndex
    const token = found[0]
    if (token === 'true') return true
    if (token === 'false') return false
    if (token === 'null') return null
    if (found[1] === undefined && found[2] === undefined) {
      const n = Number(token)
      return Number.isSafeInteger(n) ? n : BigInt(token)
    }
    const n = Number(token)
    if (this.marking && Number.isInteger(n)) this.wholeFloat = true
    return n
  }

  string() {
    const t = this.text
    if (t[this.i] !== '"') return this.fail()
    let j = this.i + 1
    let escaped = false
    for (; j < t.length; j++) {
      const c = t.charCodeAt(j)
      if (c === 0x22 && !escaped) break
      escaped = c === 0x5c && !escaped
    }
    const s = JSON.parse(t.slice(this.i, j + 1))
    this.i = j + 1
    return s
  }

  expect(c) {
    if (this.text[this.i] !== c) this.fail()
    this.i++
  }
}

/**
 * Public: JS values to JSON text the way eventfold writes them: a BigInt as
 * its exact digits (where JSON.stringify throws), a cycle as an InvalidJsonError.
 */
function stringifyJson(value) {
  let text = toJson(value, 'value')
  if (text.charCodeAt(0) !== 1 && LONG_DIGITS.test(text)) text = toJson(value, 'value', true)
  return text.charCodeAt(0) === 1 ? text.slice(1) : text
}

// ---- arguments ----

function name(value, what) {
  if (typeof value !== 'string') {
    const err = new TypeError(`${what} must be a string, not ${describeType(value)}`)
    err.code = 'ERR_INVALID_ARG_TYPE'
    throw err
  }
  return value
}

function describeType(value) {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`
}

/** A stream position (a non-negative integer, a BigInt past 2^53) as decimal text for the addon. */
function positionText(value, what) {
  if (typeof value === 'bigint' ? value >= 0n && value < 2n ** 64n : Number.isSafeInteger(value) && value >= 0) {
    return String(value)
  }
  const err = new TypeError(`${what} must be a non-negative integer (a number or a bigint), not ${describeType(value)}`)
  err.code = 'ERR_INVALID_ARG_TYPE'
  throw err
}

/** A count or a time in ms: a non-negative number (a count: an integer of at least `min`). */
function amount(value, what, { integer, min = 0, max = Number.MAX_SAFE_INTEGER }) {
  if (typeof value === 'number' && (integer ? Number.isInteger(value) : !Number.isNaN(value)) && value >= min && value <= max) {
    return value
  }
  const err = new TypeError(`${what} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, not ${describeType(value)}`)
  err.code = 'ERR_INVALID_ARG_TYPE'
  throw err
}

function timestamp(value, what) {
  if (value === undefined || value === null) return undefined
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new errors.InvalidCommandError(`${what} is an invalid Date`, { path: what })
    return value.toISOString()
  }
  if (typeof value === 'string') return value
  throw new errors.InvalidCommandError(`${what} must be a Date or an RFC 3339 string, not ${describeType(value)}`, {
    path: what,
  })
}

/** Checks an options object against the keys it may have (a typo is an error, not a silent default). */
function options(value, keys, what) {
  if (value === undefined || value === null) return {}
  if (typeof value !== 'object' || Array.isArray(value)) {
    const err = new TypeError(`${what} must be an object, not ${describeType(value)}`)
    err.code = 'ERR_INVALID_ARG_TYPE'
    throw err
  }
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) {
      const err = new TypeError(`${what} has no option \`${key}\`; it takes ${keys.join(', ')}`)
      err.code = 'ERR_INVALID_ARG_VALUE'
      throw err
    }
  }
  return value
}

/**
 * Engine, execute and read options as the core takes them: the caller's
 * object with its keys in snake_case (`expectedVersion` → `expected_version`)
 * and a Date as RFC 3339. The core checks them (an unknown key, a wrong type,
 * a number out of range is its `invalid_command` at `options.KEY`); anything
 * that is no plain object goes to the core as it is, which says what it wants.
 */
function coreOptions(value) {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'object' || Array.isArray(value) || value instanceof Date) return value
  const out = {}
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue
    out[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = v instanceof Date && !Number.isNaN(v.getTime()) ? v.toISOString() : v
  }
  return out
}

function optionsJson(value, exact) {
  const o = coreOptions(value)
  return o === undefined ? undefined : toJson(o, 'options', exact)
}

/**
 * The requests of executeMany as one JSON text. What is no array of objects
 * goes to the core as it is, which says what it wants (`invalid_command`).
 */
function requestsJson(requests, exact = false) {
  if (!Array.isArray(requests)) return toJson(requests, 'requests', exact)
  const items = requests.map((r) =>
    r !== null && typeof r === 'object' && !Array.isArray(r) && r.options !== undefined ? { ...r, options: coreOptions(r.options) } : r
  )
  return toJson(items, 'requests', exact)
}

// ---- Domain ----

const TOKEN = Symbol('eventfold.internal')

/** Compiled model files: the pure verbs, synchronous (no store, no I/O). */
class Domain {
  #native

  constructor(token, nativeDomain) {
    if (token !== TOKEN) throw new TypeError('use Domain.compile(sources) or Domain.fromFiles(...paths)')
    this.#native = nativeDomain
  }

  /**
   * Compiles model sources into one domain: a string (one file), an object
   * `{fileName: text}`, or an array of `{name, text}`.
   */
  static compile(sources) {
    let names
    let texts
    if (typeof sources === 'string') {
      names = ['model']
      texts = [sources]
    } else if (Array.isArray(sources)) {
      // each item {name, text}, or a bare text (named source1.model, ...)
      names = sources.map((s, i) => (typeof s === 'string' ? `source${i + 1}.model` : name(s && s.name, `sources[${i}].name`)))
      texts = sources.map((s, i) => (typeof s === 'string' ? s : name(s && s.text, `sources[${i}].text`)))
    } else if (sources !== null && typeof sources === 'object') {
      names = Object.keys(sources)
      texts = names.map((n) => name(sources[n], `sources[${JSON.stringify(n)}]`))
    } else {
      const err = new TypeError(`Domain.compile takes a string, an object or an array, not ${describeType(sources)}`)
      err.code = 'ERR_INVALID_ARG_TYPE'
      throw err
    }
    try {
      return new Domain(TOKEN, native.NativeDomain.compile(names, texts))
    } catch (e) {
      rethrow(e)
    }
  }

  /**
   * Reads and compiles model files (read by the core); diagnostics name each
   * file as given. A file that cannot be read is an `IoError` naming it.
   */
  static fromFiles(...paths) {
    // A file: URL is a path too, as fs takes it.
    const list = paths.flat().map((p, i) => (p instanceof URL ? fileURLToPath(p) : name(p, `paths[${i}]`)))
    try {
      return new Domain(TOKEN, native.NativeDomain.compileFiles(list))
    } catch (e) {
      rethrow(e)
    }
  }

  /** @internal */
  static _native(domain) {
    return domain.#native
  }

  models() {
    return this.#call(() => this.#native.models())
  }

  describe() {
    return this.#parse(() => this.#native.describe())
  }

  describeMarkdown() {
    return this.#call(() => this.#native.describeMarkdown())
  }

  initialState(model) {
    return this.#parse(() => this.#native.initialState(name(model, 'model')))
  }

  propose(model, state, command, opts) {
    const o = options(opts, ['now'], 'propose options')
    return this.#parse((exact) =>
      this.#native.propose(
        name(model, 'model'),
        optionalJson(state, 'state', exact),
        toJson(command, 'command', exact),
        timestamp(o.now, 'now')
      )
    )
  }

  accept(model, state, event) {
    return this.#parse((exact) =>
      this.#native.accept(name(model, 'model'), optionalJson(state, 'state', exact), toJson(event, 'event', exact))
    )
  }

  replay(model, events, state) {
    return this.#parse((exact) =>
      this.#native.replay(name(model, 'model'), toJson(events, 'events', exact), optionalJson(state, 'state', exact))
    )
  }

  query(model, state, queryName, args) {
    return this.#parse((exact) =>
      this.#native.query(
        name(model, 'model'),
        optionalJson(state, 'state', exact),
        name(queryName, 'query name'),
        optionalJson(args, 'args', exact)
      )
    )
  }

  /**
   * A stored event (`{type, schema?, data?}`) as the current model reads it:
   * the events it becomes, each `{type, schema, data}` at the current
   * version (none for a dropped event, several for a split one).
   */
  upcast(model, event) {
    return this.#parse((exact) => this.#native.upcast(name(model, 'model'), toJson(event, 'event', exact)))
  }

  /**
   * The tables of a projection after folding `events` (each `{model, id,
   * type, data}`, with optional `schema`, `version`, `position`,
   * `recorded_at`, `metadata`, `event_id`) in order onto `tables`
   * (`{table: [rows]}`; `null` or `undefined`: empty). Returns
   * `{table: [rows in key order]}` for every table the projection writes.
   */
  project(projection, events, tables) {
    return this.#parse((exact) =>
      this.#native.project(name(projection, 'projection'), toJson(events, 'events', exact), optionalJson(tables, 'tables', exact))
    )
  }

  #call(f) {
    try {
      return f()
    } catch (e) {
      rethrow(e)
    }
  }

  /** `f(exact)` makes the call; a RETRY makes it again with exact texts. */
  #parse(f) {
    return parseText(this.#call(() => {
      const text = f(false)
      return text === RETRY ? f(true) : text
    }))
  }
}

// ---- Engine ----

/** The native domain of `domain`; `what` names the argument for the TypeError. */
function domainOf(domain, what = 'Engine.open takes a Domain (from Domain.compile) as its second argument') {
  if (!(domain instanceof Domain)) {
    const err = new TypeError(what)
    err.code = 'ERR_INVALID_ARG_TYPE'
    throw err
  }
  return Domain._native(domain)
}

/**
 * A domain over an event store. Calls that touch the store return Promises
 * and run on the engine's own threads (src/pool.rs); each has a `*Sync` twin that runs on the
 * calling thread.
 */
class Engine {
  #native
  #domain

  constructor(token, nativeEngine, domain) {
    if (token !== TOKEN) throw new TypeError('use Engine.open(store, domain, options) or Engine.openSync(...)')
    this.#native = nativeEngine
    this.#domain = domain
  }

  /** Opens `memory:` or `sqlite:PATH` (`sqlite:PATH?synchronous=normal` trades the last transactions for speed). */
  static async open(store, domain, opts) {
    const nativeDomain = domainOf(domain)
    const nativeEngine = await native.NativeEngine.open(name(store, 'store'), nativeDomain, optionsJson(opts)).catch(rethrow)
    return new Engine(TOKEN, nativeEngine, domain)
  }

  static openSync(store, domain, opts) {
    const nativeDomain = domainOf(domain)
    try {
      return new Engine(TOKEN, native.NativeEngine.openSync(name(store, 'store'), nativeDomain, optionsJson(opts)), domain)
    } catch (e) {
      rethrow(e)
    }
  }

  /**
   * The same engine in another thread: this gives a plain object to post to
   * a worker (`workerData`, `postMessage`), where `Engine.fromShared` turns it
   * back into an Engine. Every thread then works on one store and one cache,
   * so even `memory:` is shared. The engine stays open until this Engine (its
   * owner) closes it; a worker's `close()` only lets go of its handle.
   */
  share() {
    try {
      return { eventfoldEngine: this.#native.share() }
    } catch (e) {
      rethrow(e)
    }
  }

  /** An engine another thread shared with `engine.share()`. */
  static fromShared(handle) {
    const id = handle && handle.eventfoldEngine
    if (!Number.isInteger(id) || id <= 0 || id > 0xffffffff) {
      const err = new TypeError('Engine.fromShared takes what engine.share() returned')
      err.code = 'ERR_INVALID_ARG_TYPE'
      throw err
    }
    let nativeEngine
    try {
      nativeEngine = native.NativeEngine.fromShared(id)
    } catch (e) {
      rethrow(e)
    }
    return new Engine(TOKEN, nativeEngine, new Domain(TOKEN, nativeEngine.domain()))
  }

  /**
   * The Domain this engine runs: another one once it has applied a model
   * change (`migrateApply`) or followed one (`onModelChange: 'follow'`).
   */
  get domain() {
    const changed = this.#native.domainUnless(Domain._native(this.#domain))
    if (changed) this.#domain = new Domain(TOKEN, changed)
    return this.#domain
  }

  execute(model, id, command, opts) {
    return this.#async((exact) =>
      this.#native.execute(name(model, 'model'), name(id, 'id'), toJson(command, 'command', exact), optionsJson(opts, exact))
    )
  }

  executeSync(model, id, command, opts) {
    return this.#sync((exact) =>
      this.#native.executeSync(name(model, 'model'), name(id, 'id'), toJson(command, 'command', exact), optionsJson(opts, exact))
    )
  }

  executeMany(requests) {
    return this.#async((exact) => this.#native.executeMany(requestsJson(requests, exact)))
  }

  executeManySync(requests) {
    return this.#sync((exact) => this.#native.executeManySync(requestsJson(requests, exact)))
  }

  load(model, id) {
    return this.#async(() => this.#native.load(name(model, 'model'), name(id, 'id')))
  }

  loadSync(model, id) {
    return this.#sync(() => this.#native.loadSync(name(model, 'model'), name(id, 'id')))
  }

  query(model, id, queryName, args) {
    return this.#async((exact) =>
      this.#native.query(name(model, 'model'), name(id, 'id'), name(queryName, 'query name'), optionalJson(args, 'args', exact))
    )
  }

  querySync(model, id, queryName, args) {
    return this.#sync((exact) =>
      this.#native.querySync(name(model, 'model'), name(id, 'id'), name(queryName, 'query name'), optionalJson(args, 'args', exact))
    )
  }

  readStream(stream, opts) {
    return this.#async((exact) =>
      this.#native.readStream(name(stream, 'stream'), optionsJson(opts, exact))
    )
  }

  readStreamSync(stream, opts) {
    return this.#sync((exact) =>
      this.#native.readStreamSync(name(stream, 'stream'), optionsJson(opts, exact))
    )
  }

  readAll(opts) {
    return this.#async((exact) => this.#native.readAll(optionsJson(opts, exact)))
  }

  readAllSync(opts) {
    return this.#sync((exact) => this.#native.readAllSync(optionsJson(opts, exact)))
  }

  streams(opts) {
    return this.#async(() => this.#native.streams(optionsJson(opts)))
  }

  streamsSync(opts) {
    return this.#sync(() => this.#native.streamsSync(optionsJson(opts)))
  }

  // ---- the read side ----

  /**
   * Rows of a table in key order, each an object of every column in
   * declared order. `key`: a prefix of the key's values (a lone value: the
   * first); `after`: a whole key, the rows after it; `limit`: at most so many.
   */
  rows(table, opts) {
    return this.#async((exact) => this.#native.rows(name(table, 'table'), optionsJson(opts, exact)))
  }

  rowsSync(table, opts) {
    return this.#sync((exact) => this.#native.rowsSync(name(table, 'table'), optionsJson(opts, exact)))
  }

  /** Each projection of the domain, in order: mode, status, position, lag, parked, error, rebuild. */
  projections() {
    return this.#async(() => this.#native.projections())
  }

  projectionsSync() {
    return this.#sync(() => this.#native.projectionsSync())
  }

  /**
   * Read-your-writes: resolves `true` once every async projection (or the
   * one named) has folded every event up to `position` (what `execute`
   * returned), `false` at `timeout` ms (default 30,000). A projection
   * stopped below it rejects with its error. Runs on threads apart from
   * the commands'.
   */
  waitFor(position, opts) {
    return this.#async((exact) => this.#native.waitFor(positionText(position, 'position'), optionsJson(opts, exact)))
  }

  waitForSync(position, opts) {
    return this.#sync((exact) => this.#native.waitForSync(positionText(position, 'position'), optionsJson(opts, exact)))
  }

  /** Rebuilds a projection's tables from the first event while the old rows answer reads, then swaps them. */
  rebuild(projection) {
    return this.#async(() => this.#native.rebuild(name(projection, 'projection')))
  }

  rebuildSync(projection) {
    return this.#sync(() => this.#native.rebuildSync(name(projection, 'projection')))
  }

  /**
   * A subscription: stored events in global order, at least once, from
   * its durable checkpoint (`from`: 'start', 'end' or a position, for a new
   * one; `models`, `types`: filters). Iterate it with `for await`.
   */
  async subscribe(subscription, opts) {
    let nativeSub
    try {
      nativeSub = await this.#native.subscribe(name(subscription, 'subscription name'), optionsJson(opts, true))
    } catch (e) {
      throw convertError(e)
    }
    return new Subscription(TOKEN, nativeSub)
  }

  subscribeSync(subscription, opts) {
    try {
      return new Subscription(TOKEN, this.#native.subscribeSync(name(subscription, 'subscription name'), optionsJson(opts, true)))
    } catch (e) {
      rethrow(e)
    }
  }

  /** Every subscription: name, checkpoint, lag, parked, models, types, active. */
  subscriptions() {
    return this.#async(() => this.#native.subscriptions())
  }

  subscriptionsSync() {
    return this.#sync(() => this.#native.subscriptionsSync())
  }

  /** The events a subscription or projection parked, oldest first ([] for none). */
  parked(subscription) {
    return this.#async(() => this.#native.parked(name(subscription, 'name')))
  }

  parkedSync(subscription) {
    return this.#sync(() => this.#native.parkedSync(name(subscription, 'name')))
  }

  // ---- model changes (MODEL-LANGUAGE.md §12, ARCHITECTURE.md "Model changes, live") ----

  /**
   * What switching the store to the models of `next` would do, changing
   * nothing: the language's differences, the stored (type, schema) `next`
   * cannot read (`blocking`), a replay of every affected stream, the
   * projections to rebuild. `ok` is false when anything blocks or fails.
   * `differences`: how many differing streams show their difference (5).
   * Runs on the threads for long calls, like `rebuild`.
   */
  migratePlan(next, opts) {
    return this.#async((exact) =>
      this.#native.migratePlan(domainOf(next, 'migratePlan takes a Domain (from Domain.compile)'), optionsJson(opts, exact))
    )
  }

  migratePlanSync(next, opts) {
    return this.#sync((exact) =>
      this.#native.migratePlanSync(domainOf(next, 'migratePlanSync takes a Domain (from Domain.compile)'), optionsJson(opts, exact))
    )
  }

  /**
   * Switches the store to `next`: builds its snapshots and projection
   * shadows while this model keeps serving, then holds writers off for the
   * last catch-up and the switch (`pause_millis`). A plan that blocks is
   * refused with the error of its first item, and nothing changes. From
   * then on this engine runs `next`.
   */
  async migrateApply(next, opts) {
    const applied = await this.#async((exact) =>
      this.#native.migrateApply(domainOf(next, 'migrateApply takes a Domain (from Domain.compile)'), optionsJson(opts, exact))
    )
    this.#domain = next // `domain` gives this very object while the engine runs it
    return applied
  }

  migrateApplySync(next, opts) {
    const applied = this.#sync((exact) =>
      this.#native.migrateApplySync(domainOf(next, 'migrateApplySync takes a Domain (from Domain.compile)'), optionsJson(opts, exact))
    )
    this.#domain = next
    return applied
  }

  /** Every model version registered in the store: model, revision, fingerprint, active, registered_at, activated_at. */
  modelVersions() {
    return this.#async(() => this.#native.modelVersions())
  }

  modelVersionsSync() {
    return this.#sync(() => this.#native.modelVersionsSync())
  }

  /** After close, every call fails with a StoreError. Closing twice is fine. */
  async close() {
    await this.#async(() => this.#native.close())
  }

  closeSync() {
    this.#sync(() => this.#native.closeSync())
  }

  async [Symbol.asyncDispose || Symbol.for('Symbol.asyncDispose')]() {
    await this.close()
  }

  /** @internal for the tests: a panic in the native code, caught. */
  _panicForTest(sync) {
    return sync ? this.#sync(() => this.#native.panicForTestSync()) : this.#async(() => this.#native.panicForTest())
  }

  // An async function, so that argument errors reject the Promise too and a
  // failure's stack shows the caller's `await` frames. `start(exact)` makes
  // the call: a Promise of the result, or a RETRY at once (see toJson).
  async #async(start) {
    let text
    try {
      const started = start(false)
      text = await (started === RETRY ? start(true) : started)
    } catch (e) {
      throw convertError(e)
    }
    return parseText(text)
  }

  #sync(f) {
    let text
    try {
      text = f(false)
      if (text === RETRY) text = f(true)
    } catch (e) {
      rethrow(e)
    }
    return parseText(text)
  }
}

// ---- Subscription ----

// What one turn of `for await` asks the store for: at most so many events,
// waiting at most so long for the first (the wait ends at once on a new
// event or on close; the bound only lets the loop look again).
const ITERATE_MAX = 100
const ITERATE_TIMEOUT_MS = 1000

/** A sync call of a subscription, its errors as the classes of their codes (these calls take no JSON, so no RETRY). */
function subCall(f) {
  try {
    return f()
  } catch (e) {
    rethrow(e)
  }
}

/**
 * Stored events for host code, at least once, from a durable checkpoint;
 * one consumer per name at a time (a second one's polls give [] until the
 * first closes). `for await (const event of sub)` acks each event when the
 * loop asks for the next one; leaving the loop (break, return, a throw)
 * leaves the last one unacked, so it comes again.
 */
class Subscription {
  #native
  // Events fetched from the store that no loop has finished with, oldest first.
  #held = []

  constructor(token, nativeSub) {
    if (token !== TOKEN) throw new TypeError('use engine.subscribe(name, options)')
    this.#native = nativeSub
  }

  get name() {
    return this.#native.name
  }

  /** Whether it was closed (by `close`, or by its engine's). */
  get closed() {
    return this.#native.isClosed()
  }

  /**
   * Up to `max` events after the last one this handle delivered, waiting up
   * to `timeoutMs` for the first. Events a `for await` loop fetched but did
   * not finish (the one it left on, and those after it) come first.
   */
  async poll(max = ITERATE_MAX, timeoutMs = ITERATE_TIMEOUT_MS) {
    const n = amount(max, 'max', { integer: true, min: 1, max: 0xffffffff })
    const t = amount(timeoutMs, 'timeoutMs', { integer: false, max: Infinity })
    if (this.#held.length > 0) return this.#held.splice(0, n)
    return parseText(await this.#native.poll(n, t).catch(rethrow))
  }

  pollSync(max = ITERATE_MAX, timeoutMs = ITERATE_TIMEOUT_MS) {
    const n = amount(max, 'max', { integer: true, min: 1, max: 0xffffffff })
    const t = amount(timeoutMs, 'timeoutMs', { integer: false, max: Infinity })
    if (this.#held.length > 0) return this.#held.splice(0, n)
    return parseText(subCall(() => this.#native.pollSync(n, t)))
  }

  /** Stores the checkpoint durably: every event up to `position` is done. */
  async ack(position) {
    await this.#native.ack(positionText(position, 'position')).catch(rethrow)
  }

  ackSync(position) {
    subCall(() => this.#native.ackSync(positionText(position, 'position')))
  }

  /** Keeps the event at `position` in the parked events with `reason`, and acks it. */
  async park(position, reason) {
    await this.#native.park(positionText(position, 'position'), name(reason, 'reason')).catch(rethrow)
  }

  parkSync(position, reason) {
    subCall(() => this.#native.parkSync(positionText(position, 'position'), name(reason, 'reason')))
  }

  /** Releases the name for the next consumer; a poll waiting meanwhile gives [] at once, and a `for await` loop ends. Twice is fine. */
  async close() {
    await this.#native.close().catch(rethrow)
  }

  closeSync() {
    subCall(() => this.#native.closeSync())
  }

  async [Symbol.asyncDispose || Symbol.for('Symbol.asyncDispose')]() {
    await this.close()
  }

  /**
   * Every event, forever, waking on new ones, until the subscription is
   * closed. An event is acked once the loop asks for the next one (events
   * an upcast split share a position: after the last of them). The ack is
   * written while the next event is handled, one at a time (acks that pile
   * up meanwhile become one, of the newest position), and leaving the loop
   * waits for it. The event a loop leaves on stays first in line for this
   * handle's next loop or poll, and unacked for the next consumer. One loop
   * at a time.
   */
  async *[Symbol.asyncIterator]() {
    // Whether the events held may end inside one position's events (a full
    // batch, or what an earlier loop left): its ack waits for the next one.
    let cut = this.#held.length > 0
    let owed // the position of the last event finished in a cut batch
    const acks = new Acks(this)
    try {
      for (;;) {
        acks.check()
        if (this.closed) return
        if (this.#held.length === 0) {
          let batch
          try {
            batch = parseText(await this.#native.poll(ITERATE_MAX, ITERATE_TIMEOUT_MS))
          } catch (e) {
            // The engine's close marks the engine closed before it closes
            // its subscriptions, so a poll in between fails as closed while
            // `closed` is still false: that too is the end of the loop.
            if (this.closed || (e.code === 'store_error' && e.kind === 'closed')) return
            throw convertError(e)
          }
          if (owed !== undefined && (batch.length === 0 || batch[0].position !== owed)) acks.done(owed)
          owed = undefined
          cut = batch.length >= ITERATE_MAX
          this.#held = batch
        }
        while (this.#held.length > 0) {
          const event = this.#held[0]
          yield event
          // The loop asked for the next one: it is done with this one.
          if (this.closed) return
          this.#held.shift()
          const next = this.#held[0]
          if (next !== undefined) {
            if (next.position !== event.position) acks.done(event.position)
          } else if (cut) {
            owed = event.position // the next batch may start with the rest of its position
          } else {
            acks.done(event.position)
          }
          acks.check()
        }
      }
    } finally {
      await acks.flush()
    }
  }
}

/**
 * The acks of one `for await` loop: at most one written at a time, in the
 * background; positions finished meanwhile wait, and only the newest of
 * them is written next. A failed ack throws in the loop at its next step
 * (unless the subscription was closed: then the loop just ends).
 */
class Acks {
  #sub
  #pending // the newest finished position not yet sent
  #inFlight = null
  #failure = null

  constructor(sub) {
    this.#sub = sub
  }

  done(position) {
    this.#pending = position
    this.#send()
  }

  #send() {
    if (this.#inFlight !== null || this.#pending === undefined || this.#failure !== null) return
    const position = this.#pending
    this.#pending = undefined
    this.#inFlight = this.#sub.ack(position).then(
      () => {
        this.#inFlight = null
        this.#send()
      },
      (e) => {
        this.#inFlight = null
        if (!this.#sub.closed) this.#failure = e
      }
    )
  }

  /** Throws the error of an ack that failed. */
  check() {
    if (this.#failure !== null) {
      const e = this.#failure
      this.#failure = null
      throw e
    }
  }

  /**
   * When the loop ends: every finished position written. A failure here
   * only means the events come again (at least once), and must not hide
   * the error the loop may be leaving with, so it is dropped.
   */
  async flush() {
    while (this.#inFlight !== null) await this.#inFlight
    if (this.#pending !== undefined && this.#failure === null && !this.#sub.closed) {
      await this.#sub.ack(this.#pending).catch(() => {})
    }
  }
}

function throwExampleForTest(code) {
  try {
    native.throwExampleForTest(code)
  } catch (e) {
    rethrow(e)
  }
}

function panicForTest() {
  try {
    native.panicForTest()
  } catch (e) {
    rethrow(e)
  }
}

// Spelled out one by one (shorthand names only) so that
// `import { RejectedError } from 'eventfold'` works from ES modules: Node
// finds CommonJS named exports by reading this statement.
// (The classes themselves come from the core's table; test/errors.test.js
// checks that this list names every one.)
const { RejectedError, InvalidJsonError, InvalidCommandError, UnknownCommandError, InvalidEventError, UnknownEventError, UnknownModelError, UnknownQueryError, ModelError, EvaluationError, VersionConflictError, LimitExceededError, StoreError, ModelChangedError, UnknownTableError, UnknownProjectionError, IoError, InternalError } = errors

module.exports = {
  Domain,
  Engine,
  Subscription,
  EventfoldError,
  RejectedError,
  InvalidJsonError,
  InvalidCommandError,
  UnknownCommandError,
  InvalidEventError,
  UnknownEventError,
  UnknownModelError,
  UnknownQueryError,
  ModelError,
  EvaluationError,
  VersionConflictError,
  LimitExceededError,
  StoreError,
  ModelChangedError,
  UnknownTableError,
  UnknownProjectionError,
  IoError,
  InternalError,
  errors,
  parseJson,
  stringifyJson,
  _internal: { toJson, parseText, panicForTest, throwExampleForTest, TABLE },
}
// `import eventfold from 'eventfold'` compiled by TypeScript without esModuleInterop.
module.exports.default = module.exports
