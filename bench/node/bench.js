'use strict'
// The Todos workload in one run, through:
//   - eventfold's Engine (memory store), sync and async, and its pure Domain;
//   - the same aggregate hand-written in plain JavaScript over a Map of
//     streams that keeps each stream's state (as eventfold's cache does);
//   - Emmett: its DeciderCommandHandler over its in-memory event store
//     (which reads and folds the stream for every command, as Emmett does).
// Every implementation gets the same commands and must end with the same
// state. Build the addon in release first: `npm run bench` does.
//
//   node bench.js [--quick] [--commands N] [--streams N] [--async-only]
//
// Then the Promise calls against executeSync, on memory: and on SQLite
// (synchronous=normal), with the context switches each costs.

const path = require('node:path')
const { performance } = require('node:perf_hooks')
const { Domain, Engine } = require('eventfold')
const { DeciderCommandHandler, getInMemoryEventStore } = require('@event-driven-io/emmett')

const args = process.argv.slice(2)
const quick = args.includes('--quick')
const opt = (name, dflt) => {
  const i = args.indexOf(name)
  return i >= 0 ? Number(args[i + 1]) : dflt
}
const COMMANDS = opt('--commands', quick ? 5_000 : 20_000)
const STREAMS = opt('--streams', 100)
const ROUNDS = quick ? 2 : 3

// ---- the workload: per list, 50% create-new, 40% change-completed, 10% clear-done ----

function lcg(seed) {
  let s = BigInt(seed)
  return () => {
    s = (s * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn
    return Number(s >> 33n)
  }
}

function workload(n, streams, seed = 42) {
  const rand = lcg(seed)
  const lists = Array.from({ length: streams }, () => new Map()) // id -> completed
  let counter = 0
  const out = []
  for (let i = 0; i < n; i++) {
    const s = rand() % streams
    const live = lists[s]
    const op = rand() % 10
    let command
    if (op < 5 || live.size === 0) {
      const id = `t${counter++}`
      live.set(id, false)
      command = { type: 'create-new', data: { id, text: `task number ${counter}` } }
    } else if (op < 9) {
      const ids = [...live.keys()]
      const id = ids[ids.length - 1 - (rand() % Math.min(ids.length, 16))]
      const completed = rand() % 2 === 0
      live.set(id, completed)
      command = { type: 'change-completed', data: { id, completed } }
    } else {
      for (const [id, done] of live) if (done) live.delete(id)
      command = { type: 'clear-done', data: {} }
    }
    out.push({ stream: `list-${s}`, command })
  }
  return out
}

// ---- the aggregate in plain JavaScript (decide + evolve), as the model says ----

class Rejected extends Error {}

function decide(command, state) {
  const { type, data } = command
  switch (type) {
    case 'create-new':
      if (Object.hasOwn(state.todos, data.id)) throw new Rejected(`todo ${data.id} already exists`)
      if (data.text.trim() === '') throw new Rejected('text must not be blank')
      return [{ type: 'created', data: { id: data.id, text: data.text, completed: false } }]
    case 'change-completed': {
      const todo = state.todos[data.id]
      if (!todo) throw new Rejected(`no todo ${data.id}`)
      return todo.completed !== data.completed ? [{ type: 'completed-changed', data: { id: data.id, completed: data.completed } }] : []
    }
    case 'clear-done': {
      const ids = Object.keys(state.todos)
        .sort()
        .filter((k) => state.todos[k].completed)
      return ids.length ? [{ type: 'done-cleared', data: { ids } }] : []
    }
    default:
      throw new Error(`unknown command ${type}`)
  }
}

// Immutable, as an event-sourced state must be (a decider may not mutate).
function evolve(state, event) {
  const { type, data } = event
  switch (type) {
    case 'created':
      return { todos: { ...state.todos, [data.id]: { id: data.id, text: data.text, completed: data.completed } } }
    case 'completed-changed':
      return { todos: { ...state.todos, [data.id]: { ...state.todos[data.id], completed: data.completed } } }
    case 'done-cleared': {
      const todos = { ...state.todos }
      for (const id of data.ids) delete todos[id]
      return { todos }
    }
    default:
      return state
  }
}

const initialState = () => ({ todos: {} })

/** Plain JS over an in-memory store that keeps each stream's state and events. */
function plainStore() {
  const streams = new Map()
  let position = 0
  return {
    execute(stream, command) {
      let s = streams.get(stream)
      if (!s) streams.set(stream, (s = { state: initialState(), version: 0, events: [] }))
      const events = decide(command, s.state)
      for (const e of events) {
        s.state = evolve(s.state, e)
        s.events.push({ ...e, stream, version: ++s.version, position: ++position })
      }
      return s.version
    },
    state: (stream) => streams.get(stream).state,
  }
}

// ---- the runs ----

function sortKeys(v) {
  if (Array.isArray(v)) return v.map(sortKeys)
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]))
  return v
}
const same = (a, b) => JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b))

async function time(label, rounds, setup, run) {
  let best = Infinity
  let last
  for (let r = 0; r < rounds; r++) {
    const ctx = await setup()
    const start = performance.now()
    await run(ctx)
    const ms = performance.now() - start
    best = Math.min(best, ms)
    last = ctx
  }
  return { label, usPerCommand: (best * 1000) / COMMANDS, ctx: last }
}

/** The native addon under the package, loaded by its file (the package does not export it). */
function loadAddon() {
  const dir = path.dirname(require.resolve('eventfold'))
  const file = require('node:fs')
    .readdirSync(dir)
    .find((f) => f.endsWith('.node'))
  return file ? require(path.join(dir, file)) : null
}

async function main() {
  const domain = Domain.fromFiles(path.resolve(__dirname, '../../examples/todos/todos.model'))
  const work = workload(COMMANDS, STREAMS)
  const counts = work.reduce((m, w) => ((m[w.command.type] = (m[w.command.type] || 0) + 1), m), {})
  console.log(
    `Todos workload: ${COMMANDS} commands over ${STREAMS} lists (${Object.entries(counts)
      .map(([k, v]) => `${k} ${Math.round((100 * v) / COMMANDS)}%`)
      .join(', ')}), best of ${ROUNDS} rounds, Node ${process.version}`
  )
  const NOW = '2026-11-28T09:30:00Z'
  const results = []

  results.push(
    await time('plain JavaScript (decide/evolve, state kept per stream)', ROUNDS, plainStore, (store) => {
      for (const { stream, command } of work) store.execute(stream, command)
    })
  )
  const plain = results[0].ctx

  results.push(
    await time('eventfold Engine memory:, executeSync', ROUNDS, () => Engine.openSync('memory:', domain), (engine) => {
      for (const { stream, command } of work) engine.executeSync('Todos', stream, command, { now: NOW })
    })
  )
  const efSync = results[results.length - 1].ctx

  // The addon alone, on JSON text made beforehand: what the JS edge
  // (JSON.stringify of the command, JSON.parse of the result) adds is the
  // difference with the line above.
  const addon = loadAddon()
  if (addon) {
    const texts = work.map((w) => JSON.stringify(w.command))
    const nowOption = JSON.stringify({ now: NOW })
    const fs = require('node:fs')
    const model = fs.readFileSync(path.resolve(__dirname, '../../examples/todos/todos.model'), 'utf8')
    const nativeDomain = addon.NativeDomain.compile(['todos.model'], [model])
    results.push(
      await time('  the addon alone, on JSON text made beforehand', ROUNDS, () => addon.NativeEngine.openSync('memory:', nativeDomain), (engine) => {
        for (let i = 0; i < work.length; i++) engine.executeSync('Todos', work[i].stream, texts[i], nowOption)
      })
    )
  }

  results.push(
    await time('eventfold Engine memory:, await execute (one at a time)', ROUNDS, () => Engine.open('memory:', domain), async (engine) => {
      for (const { stream, command } of work) await engine.execute('Todos', stream, command, { now: NOW })
    })
  )

  // Concurrent: every list runs its own commands in order, all lists at once.
  const byStream = new Map()
  for (const w of work) {
    if (!byStream.has(w.stream)) byStream.set(w.stream, [])
    byStream.get(w.stream).push(w.command)
  }
  results.push(
    await time('eventfold Engine memory:, execute, all lists concurrently', ROUNDS, () => Engine.open('memory:', domain), async (engine) => {
      await Promise.all(
        [...byStream].map(async ([stream, commands]) => {
          for (const command of commands) await engine.execute('Todos', stream, command, { now: NOW })
        })
      )
    })
  )

  results.push(
    await time(
      'eventfold Domain: propose + replay, state crossing each call',
      ROUNDS,
      () => new Map(),
      (states) => {
        for (const { stream, command } of work) {
          const state = states.get(stream) || null
          const events = domain.propose('Todos', state, command, { now: NOW })
          if (events.length) states.set(stream, domain.replay('Todos', events, state))
        }
      }
    )
  )

  const handle = DeciderCommandHandler({ decide, evolve, initialState })
  results.push(
    await time('Emmett DeciderCommandHandler, in-memory event store', ROUNDS, () => getInMemoryEventStore(), async (store) => {
      for (const { stream, command } of work) await handle(store, stream, command)
    })
  )
  const emmett = results[results.length - 1].ctx

  // The same end state everywhere.
  for (const stream of byStream.keys()) {
    const want = plain.state(stream)
    const got = efSync.loadSync('Todos', stream).state
    if (!same(got, want)) throw new Error(`eventfold and plain JS differ on ${stream}`)
    const { state: em } = await emmett.aggregateStream(stream, { evolve, initialState })
    if (!same(em, want)) throw new Error(`Emmett and plain JS differ on ${stream}`)
  }

  const base = results[0].usPerCommand
  const efBest = results[1].usPerCommand
  const emm = results[results.length - 1].usPerCommand
  const alone = results.find((r) => r.label.includes('addon alone'))
  console.log('')
  for (const r of results) {
    console.log(
      `${r.label.padEnd(62)} ${r.usPerCommand.toFixed(2).padStart(8)} µs/command ${Math.round(1e6 / r.usPerCommand)
        .toLocaleString('en')
        .padStart(10)} commands/s  ${(r.usPerCommand / base).toFixed(1).padStart(6)}x plain JS`
    )
  }
  console.log('')
  console.log(`eventfold executeSync vs plain JavaScript: ${(efBest / base).toFixed(2)}x the time`)
  console.log(`eventfold executeSync vs Emmett:           ${(efBest / emm).toFixed(2)}x the time (Emmett ${(emm / efBest).toFixed(2)}x eventfold)`)
  if (alone) console.log(`the JS edge (stringify the command, parse the result): ${(efBest - alone.usPerCommand).toFixed(2)} µs a command`)
  console.log('all implementations end with the same state')
}

// ---- async against sync, on memory: and on SQLite, with context switches ----

/** Context switches of the whole process (every thread), voluntary and not. */
function switches() {
  const u = process.resourceUsage()
  // /proc/self/status counts the main (JS) thread alone.
  let main = 0
  try {
    const status = require('node:fs').readFileSync('/proc/self/status', 'utf8')
    main = Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)[1])
  } catch {
    main = NaN // not Linux
  }
  return { voluntary: u.voluntaryContextSwitches, involuntary: u.involuntaryContextSwitches, main }
}

async function measured(label, rounds, setup, run, teardown) {
  let best = null
  for (let r = 0; r < rounds; r++) {
    const ctx = await setup()
    const before = switches()
    const start = performance.now()
    await run(ctx)
    const ms = performance.now() - start
    const after = switches()
    await teardown(ctx)
    const round = {
      label,
      usPerCommand: (ms * 1000) / COMMANDS,
      voluntary: after.voluntary - before.voluntary,
      involuntary: after.involuntary - before.involuntary,
      main: after.main - before.main,
    }
    if (!best || round.usPerCommand < best.usPerCommand) best = round
  }
  return best
}

async function asyncAgainstSync() {
  const fs = require('node:fs')
  const os = require('node:os')
  const domain = Domain.fromFiles(path.resolve(__dirname, '../../examples/todos/todos.model'))
  const work = workload(COMMANDS, STREAMS)
  const byStream = new Map()
  for (const w of work) {
    if (!byStream.has(w.stream)) byStream.set(w.stream, [])
    byStream.get(w.stream).push(w.command)
  }
  const NOW = '2026-11-28T09:30:00Z'
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eventfold-bench-'))
  let n = 0
  const stores = {
    'memory:': () => 'memory:',
    'sqlite:PATH?synchronous=normal': () => `sqlite:${path.join(dir, `b${++n}.db`)}?synchronous=normal`,
  }
  console.log('')
  console.log(`Promise calls against executeSync: ${COMMANDS} commands over ${STREAMS} lists, best of ${ROUNDS} rounds;`)
  console.log('context switches of the whole process (all threads) during the best round')
  try {
    for (const [kind, store] of Object.entries(stores)) {
      const open = () => Engine.openSync(store(), domain)
      const close = (engine) => engine.closeSync()
      const rows = []
      rows.push(
        await measured(`${kind} executeSync`, ROUNDS, open, (engine) => {
          for (const { stream, command } of work) engine.executeSync('Todos', stream, command, { now: NOW })
        }, close)
      )
      rows.push(
        await measured(`${kind} await execute, one at a time`, ROUNDS, open, async (engine) => {
          for (const { stream, command } of work) await engine.execute('Todos', stream, command, { now: NOW })
        }, close)
      )
      rows.push(
        await measured(`${kind} execute, all lists concurrently`, ROUNDS, open, async (engine) => {
          await Promise.all(
            [...byStream].map(async ([stream, commands]) => {
              for (const command of commands) await engine.execute('Todos', stream, command, { now: NOW })
            })
          )
        }, close)
      )
      // The same through libuv's thread pool, one AsyncTask a call, as every
      // Promise call ran before the engine had threads of its own.
      const addon = loadAddon()
      if (addon && addon.NativeEngine.prototype.executeOnLibuvPool) {
        const model = fs.readFileSync(path.resolve(__dirname, '../../examples/todos/todos.model'), 'utf8')
        const nativeDomain = addon.NativeDomain.compile(['todos.model'], [model])
        const openNative = () => addon.NativeEngine.openSync(store(), nativeDomain)
        const closeNative = (engine) => engine.closeSync()
        const nowOption = JSON.stringify({ now: NOW })
        rows.push(
          await measured(`${kind} libuv pool (before), one at a time`, ROUNDS, openNative, async (engine) => {
            for (const { stream, command } of work) JSON.parse(await engine.executeOnLibuvPool('Todos', stream, JSON.stringify(command), nowOption))
          }, closeNative)
        )
        rows.push(
          await measured(`${kind} libuv pool (before), all lists concurrently`, ROUNDS, openNative, async (engine) => {
            await Promise.all(
              [...byStream].map(async ([stream, commands]) => {
                for (const command of commands) JSON.parse(await engine.executeOnLibuvPool('Todos', stream, JSON.stringify(command), nowOption))
              })
            )
          }, closeNative)
        )
      }
      const sync = rows[0].usPerCommand
      for (const r of rows) {
        console.log(
          `${r.label.padEnd(62)} ${r.usPerCommand.toFixed(2).padStart(8)} µs/command ${(r.usPerCommand / sync).toFixed(2).padStart(6)}x sync ` +
            `${String(r.voluntary).padStart(8)} voluntary ${String(r.involuntary).padStart(7)} involuntary switches` +
            ` (${((r.voluntary + r.involuntary) / COMMANDS).toFixed(2)} a command; the JS thread slept ${(r.main / COMMANDS).toFixed(2)} times a command)`
        )
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

const run = args.includes('--async-only') ? asyncAgainstSync : () => main().then(asyncAgainstSync)
run().catch((e) => {
  console.error(e)
  process.exit(1)
})
