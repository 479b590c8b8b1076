'use strict'
// A small HTTP service over eventfold, on node:http alone.
//
//   POST /Todos/home            body: a command   -> {stream, version, events}
//        If-Match: 3            (expected version) Idempotency-Key: k1 (command id)
//   GET  /Todos/home            -> {state, version}
//   GET  /Todos/home/done-todos?args={"x":1}   -> the query's value
//   GET  /streams/Todos-home/events?from=2     -> stored events
//   GET  /describe              -> the domain's ubiquitous language
//
// Errors answer with the error's JSON ({code, message, ...}) and a status
// that fits its code. Run: node server.js (PORT, STORE and MODEL from the env).
const http = require('node:http')
const path = require('node:path')
const { Domain, Engine, EventfoldError, parseJson, stringifyJson } = require('eventfold')

const STATUS = {
  rejected: 409,
  version_conflict: 409,
  invalid_json: 400,
  invalid_command: 400,
  unknown_command: 400,
  invalid_event: 400,
  unknown_model: 404,
  unknown_query: 404,
  limit_exceeded: 413,
}
const MAX_BODY = 1024 * 1024

function send(res, status, value) {
  // stringifyJson keeps integers past 2^53 exact, where JSON.stringify would throw on a BigInt.
  const body = stringifyJson(value)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = []
    let size = 0
    req.on('data', (c) => {
      size += c.length
      if (size > MAX_BODY) {
        reject(Object.assign(new Error('body too large'), { status: 413 }))
        req.destroy()
      } else chunks.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

/** The request handler; `engine` is an open Engine. */
function handler(engine) {
  return async (req, res) => {
    try {
      const url = new URL(req.url, 'http://localhost')
      const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent)
      if (req.method === 'GET' && parts.length === 1 && parts[0] === 'describe') {
        return send(res, 200, engine.domain.describe())
      }
      if (req.method === 'GET' && parts.length === 3 && parts[0] === 'streams' && parts[2] === 'events') {
        const from = url.searchParams.get('from')
        return send(res, 200, await engine.readStream(parts[1], from ? { fromVersion: Number(from) } : {}))
      }
      if (req.method === 'POST' && parts.length === 2) {
        const command = parseJson(await readBody(req)) // InvalidJsonError -> 400
        const options = {}
        if (req.headers['if-match'] !== undefined) {
          options.expectedVersion = Number(req.headers['if-match'])
          if (!Number.isSafeInteger(options.expectedVersion)) throw Object.assign(new Error('If-Match must be a version number'), { status: 400 })
        }
        if (req.headers['idempotency-key']) options.commandId = String(req.headers['idempotency-key'])
        return send(res, 200, await engine.execute(parts[0], parts[1], command, options))
      }
      if (req.method === 'GET' && parts.length === 2) {
        return send(res, 200, await engine.load(parts[0], parts[1]))
      }
      if (req.method === 'GET' && parts.length === 3) {
        const args = url.searchParams.has('args') ? parseJson(url.searchParams.get('args')) : undefined
        return send(res, 200, await engine.query(parts[0], parts[1], parts[2], args))
      }
      send(res, 404, { code: 'not_found', message: `no route ${req.method} ${url.pathname}` })
    } catch (e) {
      if (e instanceof EventfoldError) return send(res, STATUS[e.code] || 500, e.toJSON())
      if (e.status) return send(res, e.status, { code: 'bad_request', message: e.message })
      console.error(e)
      send(res, 500, { code: 'internal', message: 'internal error' })
    }
  }
}

async function main() {
  const domain = Domain.fromFiles(process.env.MODEL || path.join(__dirname, '../todos/todos.model'))
  const engine = await Engine.open(process.env.STORE || `sqlite:${path.join(__dirname, 'todos.db')}`, domain)
  const server = http.createServer(handler(engine))
  server.listen(Number(process.env.PORT || 3000), () => console.log(`listening on http://localhost:${server.address().port}`))
  const stop = () => server.close(() => engine.close().then(() => process.exit(0)))
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

if (require.main === module) main()

module.exports = { handler }
