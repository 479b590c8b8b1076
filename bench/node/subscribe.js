'use strict'
// Subscription delivery in Node, from commit to the host's callback (the
// body of a `for await` loop), on SQLite (synchronous=normal) with the
// todo model (its inline board projection included). Build the addon in
// release first: `npm run subscribe` does.
//
//   node subscribe.js [--quick] [--events N] [--latency N]
//
// 1. Latency: a worker thread executes one command at a time (executeSync,
//    on the engine the main thread shared with it) and waits until the
//    main thread's loop has seen its event before the next, so each event
//    finds the subscriber idle, waiting in its poll. Reported: from the
//    moment executeSync returned in the writer (the commit is done) to the
//    loop body, and from the moment it was called; next to them, in the
//    same run, executeSync's own time and an awaited `load` (one round
//    trip through the engine's threads).
// 2. Throughput: N events stored beforehand; a new subscription reads them
//    all, (a) with `for await` (an ack per event, as the loop does, written
//    in the background), and (b) with poll(1000) and one ack per batch;
//    against (c), the baseline, readAll in pages of 1000 (the same events,
//    no subscription). Best of 3 rounds, the three alternated.
// 3. Live: the worker appends N events in batches of 100 (executeMany)
//    as fast as it can while the loop follows: events/s from the first
//    commit to the last callback.

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads')
// The package from this repository (no npm install needed).
const { Domain, Engine } = require('../../bindings/node')

const MODEL = path.resolve(__dirname, '../../examples/todos/todos.model')
const WAIT_MS = 30_000 // an upper bound on any one wait, never a pace

const now = () => process.hrtime.bigint()
const create = (i) => ({ type: 'create-new', data: { id: `t${i}`, text: `task number ${i}` } })
const seqOf = (event) => Number(event.data.id.slice(1))

if (!isMainThread) {
  worker(workerData)
} else {
  main().catch((e) => {
    console.error(e)
    process.exit(1)
  })
}

// ---- the writer, in a worker thread ----

function worker({ handle, mode, count, times, seen }) {
  const engine = Engine.fromShared(handle)
  const t = new BigInt64Array(times)
  const s = new Int32Array(seen)
  if (mode === 'latency') {
    for (let i = 0; i < count; i++) {
      t[2 * i] = now()
      engine.executeSync('Todos', `lat${i % 10}`, create(i))
      t[2 * i + 1] = now()
      // Wait until the subscriber has seen event i (an upper bound, no pace).
      while (Atomics.load(s, 0) <= i) {
        if (Atomics.wait(s, 0, Atomics.load(s, 0), WAIT_MS) === 'timed-out' && Atomics.load(s, 0) <= i) {
          throw new Error(`the subscriber did not see event ${i} within ${WAIT_MS} ms`)
        }
      }
    }
  } else {
    t[0] = now()
    for (let i = 0; i < count; i += 100) {
      const batch = []
      for (let j = i; j < Math.min(count, i + 100); j++) batch.push({ model: 'Todos', id: `live${j % 50}`, command: create(j) })
      engine.executeManySync(batch)
    }
    t[1] = now()
  }
  engine.closeSync()
  parentPort.postMessage('done')
}

function runWorker(data) {
  const w = new Worker(__filename, { workerData: data })
  return new Promise((resolve, reject) => {
    w.on('message', resolve)
    w.on('error', reject)
    w.on('exit', (code) => code !== 0 && reject(new Error(`the writer exited with ${code}`)))
  })
}

// ---- measurements ----

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]
}

const us = (ns) => Number(ns) / 1000

function stats(values) {
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  return { p50: us(percentile(sorted, 50)), p99: us(percentile(sorted, 99)), max: us(sorted[sorted.length - 1]) }
}

async function latency(store, count) {
  const engine = await Engine.open(store, Domain.fromFiles(MODEL))
  const sub = await engine.subscribe('bench-latency', { from: 'end' })
  const times = new SharedArrayBuffer(16 * count)
  const seen = new SharedArrayBuffer(4)
  const t = new BigInt64Array(times)
  const s = new Int32Array(seen)
  const received = new Array(count)
  const writer = runWorker({ handle: engine.share(), mode: 'latency', count, times, seen })
  let n = 0
  for await (const event of sub) {
    const at = now()
    const i = seqOf(event)
    received[i] = at
    n++
    Atomics.store(s, 0, n)
    Atomics.notify(s, 0)
    if (n === count) break
  }
  await writer
  // A Promise round trip through the engine's threads, for comparison.
  const loads = []
  for (let i = 0; i < Math.min(count, 1000); i++) {
    const t0 = now()
    await engine.load('Todos', `lat${i % 10}`)
    loads.push(now() - t0)
  }
  await sub.close()
  await engine.close()
  const afterCommit = []
  const afterCall = []
  const execute = []
  for (let i = 0; i < count; i++) {
    afterCommit.push(received[i] - t[2 * i + 1])
    afterCall.push(received[i] - t[2 * i])
    execute.push(t[2 * i + 1] - t[2 * i])
  }
  return { afterCommit: stats(afterCommit), afterCall: stats(afterCall), execute: stats(execute), load: stats(loads) }
}

async function fill(engine, count) {
  for (let i = 0; i < count; i += 1000) {
    const batch = []
    for (let j = i; j < Math.min(count, i + 1000); j++) batch.push({ model: 'Todos', id: `s${j % 100}`, command: create(j) })
    await engine.executeMany(batch)
  }
}

async function throughput(store, count, rounds) {
  const engine = await Engine.open(store, Domain.fromFiles(MODEL))
  await fill(engine, count)
  const best = {}
  const keep = (name, events, started) => {
    const x = { events, seconds: Number(now() - started) / 1e9 }
    if (!best[name] || x.events / x.seconds > best[name].events / best[name].seconds) best[name] = x
  }
  // The three alternate, round after round; each round's subscriptions are new (from the start).
  for (let round = 0; round < rounds; round++) {
    let t0 = now()
    let n = 0
    for (let from = 1; ; ) {
      const page = await engine.readAll({ fromPosition: from, limit: 1000 })
      if (page.length === 0) break
      n += page.length
      from = page[page.length - 1].position + 1
    }
    keep('readAll', n, t0)

    let sub = await engine.subscribe(`bench-batch-${round}`)
    t0 = now()
    n = 0
    while (n < count) {
      const batch = await sub.poll(1000, WAIT_MS)
      if (batch.length === 0) throw new Error('a poll gave nothing while events were waiting')
      n += batch.length
      await sub.ack(batch[batch.length - 1].position)
    }
    keep('pollBatch', n, t0)
    await sub.close()

    sub = await engine.subscribe(`bench-loop-${round}`)
    t0 = now()
    n = 0
    for await (const event of sub) {
      void event
      if (++n === count) break
    }
    keep('forAwait', n, t0)
    await sub.close()
  }
  await engine.close()
  return best
}

async function live(store, count) {
  const engine = await Engine.open(store, Domain.fromFiles(MODEL))
  const sub = await engine.subscribe('bench-live', { from: 'end' })
  const times = new SharedArrayBuffer(16)
  const t = new BigInt64Array(times)
  const writer = runWorker({ handle: engine.share(), mode: 'live', count, times, seen: new SharedArrayBuffer(4) })
  let n = 0
  let last
  for await (const event of sub) {
    n++
    if (n === count) {
      last = now()
      break
    }
    void event
  }
  await writer
  await sub.close()
  await engine.close()
  return { events: n, seconds: Number(last - t[0]) / 1e9, writerSeconds: Number(t[1] - t[0]) / 1e9 }
}

async function main() {
  const args = process.argv.slice(2)
  const quick = args.includes('--quick')
  const opt = (name, dflt) => {
    const i = args.indexOf(name)
    return i >= 0 ? Number(args[i + 1]) : dflt
  }
  const EVENTS = opt('--events', quick ? 10_000 : 100_000)
  const LATENCY = opt('--latency', quick ? 300 : 3_000)
  const ROUNDS = quick ? 1 : 3
  const dir = fs.mkdtempSync(path.join(process.env.EVENTFOLD_BENCH_DIR || os.tmpdir(), 'eventfold-subscribe-'))
  const store = (name) => `sqlite:${path.join(dir, name)}?synchronous=normal`
  const load = os.loadavg().map((x) => x.toFixed(2)).join(' ')
  console.log(`Node ${process.version}, load average ${load}, ${os.cpus().length} cores; store sqlite:...?synchronous=normal`)

  try {
    const l = await latency(store('latency.db'), LATENCY)
    console.log(`\n1. latency, ${LATENCY} events, one at a time (µs)`)
    console.log('| from | p50 | p99 | max |')
    console.log('|---|---:|---:|---:|')
    const row = (name, s) => console.log(`| ${name} | ${s.p50.toFixed(0)} | ${s.p99.toFixed(0)} | ${s.max.toFixed(0)} |`)
    row('commit (executeSync returned) to loop body', l.afterCommit)
    row('executeSync called to loop body', l.afterCall)
    row('(executeSync itself, in the writer)', l.execute)
    row('(an awaited `load`: one round trip)', l.load)

    const th = await throughput(store('throughput.db'), EVENTS, ROUNDS)
    console.log(`\n2. throughput, ${EVENTS} stored events, a new subscription reads them all (best of ${ROUNDS} rounds, alternated)`)
    console.log('| how | events/s | vs readAll |')
    console.log('|---|---:|---:|')
    const rate = (x) => x.events / x.seconds
    const base = rate(th.readAll)
    for (const [name, x] of [
      ['readAll, pages of 1000 (baseline, no subscription)', th.readAll],
      ['poll(1000) + one ack a batch', th.pollBatch],
      ['for await, one ack an event', th.forAwait],
    ]) {
      console.log(`| ${name} | ${Math.round(rate(x)).toLocaleString('en')} | ${(rate(x) / base).toFixed(2)}x |`)
    }

    const lv = await live(store('live.db'), EVENTS)
    console.log(`\n3. live: the writer appends ${EVENTS} events (executeMany of 100) while for await follows`)
    console.log(
      `first commit to last callback: ${lv.seconds.toFixed(2)} s, ${Math.round(lv.events / lv.seconds).toLocaleString('en')} events/s ` +
        `(the writer alone took ${lv.writerSeconds.toFixed(2)} s: ${Math.round(lv.events / lv.writerSeconds).toLocaleString('en')} events/s)`
    )
  } finally {
    if (!process.env.EVENTFOLD_BENCH_KEEP) fs.rmSync(dir, { recursive: true, force: true })
  }
}
