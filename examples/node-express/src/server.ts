// The todo app over HTTP with Express, typed by the code that
// `eventfold generate --lang ts ../todos/todos.model -o src/generated` wrote.
//
//   POST   /lists/:list/todos              {"id", "text"}  -> 201 {version, events}
//   POST   /lists/:list/todos/:id/text     {"text"}        -> 200
//   POST   /lists/:list/todos/:id/complete                 -> 200 (DELETE it: not done)
//   DELETE /lists/:list/todos/:id                          -> 200
//   POST   /lists/:list/clear-done                         -> 200
//   GET    /lists/:list                    -> {version, todos, remaining}
//   GET    /rows[?list=L]                  -> the projection's table todo_rows
//
// A rejection answers 409 (`duplicate`) or 422 (any other reason) with
// {code, reason, message}; bad input 400. Run: npm run build && npm start (after npm run build:release in bindings/node)
// (PORT, 0 for a free one; STORE, default memory:; MODEL).
import path from 'node:path'
import express, { type NextFunction, type Request, type Response } from 'express'
import { Domain, Engine, EventfoldError, type Executed } from 'eventfold'
import { ReadSide, TodosModel, type TodoRow, type TodosStoredEvent } from './generated/index.js'

/** A 400 for a body that is not what the route takes. */
class BadRequest extends Error {}

function text(body: unknown, field: string): string {
  const value = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[field] : undefined
  if (typeof value !== 'string') throw new BadRequest(`body.${field} must be a string`)
  return value
}

/** What a command's answer says: the stream's version and its events. */
function executed(r: Executed<TodosStoredEvent>) {
  return { version: r.version, events: r.events.map((e) => ({ type: e.type, data: e.data })) }
}

type Handler = (req: Request, res: Response) => Promise<void>
const route = (h: Handler) => (req: Request, res: Response, next: NextFunction) => h(req, res).catch(next)
const param = (req: Request, name: string): string => String(req.params[name])

export function app(engine: Engine): express.Express {
  const todos = new TodosModel(engine)
  const read = new ReadSide(engine)
  const api = express()
  api.use(express.json())

  api.post('/lists/:list/todos', route(async (req, res) => {
    const r = await todos.stream(param(req, 'list')).createNew({ id: text(req.body, 'id'), text: text(req.body, 'text') })
    res.status(201).json(executed(r))
  }))
  api.post('/lists/:list/todos/:id/text', route(async (req, res) => {
    res.json(executed(await todos.stream(param(req, 'list')).changeText({ id: param(req, 'id'), new_text: text(req.body, 'text') })))
  }))
  api.post('/lists/:list/todos/:id/complete', route(async (req, res) => {
    res.json(executed(await todos.stream(param(req, 'list')).changeCompleted({ id: param(req, 'id'), completed: true })))
  }))
  api.delete('/lists/:list/todos/:id/complete', route(async (req, res) => {
    res.json(executed(await todos.stream(param(req, 'list')).changeCompleted({ id: param(req, 'id'), completed: false })))
  }))
  api.delete('/lists/:list/todos/:id', route(async (req, res) => {
    res.json(executed(await todos.stream(param(req, 'list')).delete({ id: param(req, 'id') })))
  }))
  api.post('/lists/:list/clear-done', route(async (req, res) => {
    res.json(executed(await todos.stream(param(req, 'list')).clearDone()))
  }))
  api.get('/lists/:list', route(async (req, res) => {
    const list = todos.stream(param(req, 'list'))
    const { state, version } = await list.load()
    res.json({ version, todos: Object.values(state.todos), remaining: await list.remaining() })
  }))
  api.get('/rows', route(async (req, res) => {
    const list = typeof req.query['list'] === 'string' ? req.query['list'] : undefined
    const rows: TodoRow[] = await read.todoRows.rows(list === undefined ? {} : { key: list })
    res.json(rows)
  }))

  api.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err)
    if (TodosModel.isRejection(err)) {
      // err.reason: 'duplicate' | 'blank' | 'missing', the reasons the model's commands give.
      res.status(err.reason === 'duplicate' ? 409 : 422).json({ code: err.code, reason: err.reason, message: err.message })
    } else if (err instanceof BadRequest) {
      res.status(400).json({ code: 'bad_request', message: err.message })
    } else if (err instanceof EventfoldError && (err.code === 'invalid_command' || err.code === 'invalid_json')) {
      res.status(400).json(err.toJSON())
    } else if (err instanceof SyntaxError) {
      res.status(400).json({ code: 'invalid_json', message: err.message })
    } else {
      console.error(err)
      res.status(500).json({ code: 'internal', message: 'internal error' })
    }
  })
  return api
}

async function main(): Promise<void> {
  const domain = Domain.fromFiles(process.env['MODEL'] ?? path.join(__dirname, '..', '..', 'todos', 'todos.model'))
  const engine = await Engine.open(process.env['STORE'] ?? 'memory:', domain)
  const server = app(engine).listen(Number(process.env['PORT'] ?? 3000), '127.0.0.1', () => {
    const address = server.address()
    const port = address !== null && typeof address === 'object' ? address.port : address
    console.log(`listening on http://127.0.0.1:${port}`)
  })
  const stop = () => server.close(() => void engine.close().then(() => process.exit(0)))
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e)
    process.exit(1)
  })
}
