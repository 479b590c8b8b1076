// The package from TypeScript: typed state, typed commands, errors narrowed
// by class. Type-checked with `tsc --noEmit` (see tsconfig.json).
import eventfold, {
  Domain,
  Engine,
  EventfoldError,
  RejectedError,
  VersionConflictError,
  ModelError,
  type Command,
  type DomainEvent,
  type Executed,
  type StoredEvent,
  type StreamInfo,
  type JsonValue,
  type UpcastEvent,
  type ProjectEvent,
  type Tables,
  type ProjectionStatus,
  type Rebuilt,
  type SubscriptionInfo,
  type ParkedEvent,
  Subscription,
  UnknownTableError,
  errors,
  parseJson,
  stringifyJson,
} from 'eventfold'

interface Todo {
  id: string
  text: string
  completed: boolean
}
interface TodosState {
  todos: { [id: string]: Todo }
}
type TodosCommand =
  | Command<'create-new', { id: string; text: string }>
  | Command<'change-completed', { id: string; completed: boolean }>
  | Command<'clear-done', Record<string, never>>
type Created = StoredEvent<'created', Todo>

function lines(done: Todo[]): string[] {
  return done.map((t) => `${t.completed ? '[x]' : '[ ]'} ${t.text}`)
}

export async function main(modelPath: string): Promise<void> {
  let domain: Domain
  try {
    domain = Domain.fromFiles(modelPath)
  } catch (e) {
    if (e instanceof ModelError) {
      for (const d of e.diagnostics) console.error(`${d.file}:${d.line}:${d.column}: ${d.message}`)
    }
    throw e
  }

  // Pure: no store.
  const empty = domain.initialState<TodosState>('Todos')
  const command: TodosCommand = { type: 'create-new', data: { id: 'a', text: 'Buy milk' } }
  const events: DomainEvent[] = domain.propose('Todos', empty, command, { now: new Date() })
  const state = domain.replay<TodosState>('Todos', events, empty)
  const first: Todo | undefined = state.todos['a']
  console.log(first?.text, domain.describe().models.map((m) => m.name))

  // A stored event, at the version of its shape, as the model reads it now.
  const current: UpcastEvent<'created', Todo>[] = domain.upcast<UpcastEvent<'created', Todo>>('Todos', {
    type: 'created',
    schema: 1,
    data: { id: 'a', text: 'Buy milk', completed: false },
  })
  console.log(current.map((e) => `${e.type}@${e.schema}: ${e.data.text}`), domain.describe().models[0].events.map((e) => e.version))

  // The read side: each projection's tables, folded from the events so far.
  const stored: ProjectEvent[] = events.map((e) => ({ model: 'Todos', id: 'home', type: e.type, data: e.data, recorded_at: new Date(0) }))
  for (const p of domain.describe().projections) {
    const tables: Tables = domain.project(p.name, stored)
    console.log(p.name, p.mode, p.writes.map((t) => `${t}: ${tables[t]?.length ?? 0} rows`))
  }

  // Over a store: Promises, and *Sync twins.
  const engine = await Engine.open('memory:', domain, { cacheCapacity: 1000 })
  const result: Executed<Created> = await engine.execute<Created>('Todos', 'home', command, { commandId: 'c1' })
  const created: Todo = result.events[0].data
  const version: number = result.version
  console.log(created.id, version, result.events[0].metadata.recorded_at)

  try {
    await engine.execute('Todos', 'home', command, { expectedVersion: version })
  } catch (e) {
    if (e instanceof RejectedError) console.log('rejected:', e.reason, e.message)
    else if (e instanceof VersionConflictError) console.log('conflict:', e.expected, e.actual)
    else if (e instanceof EventfoldError) console.log(e.code, e.toJSON())
    else throw e
  }

  const batch: Executed[] = await engine.executeMany([
    { model: 'Todos', id: 'work', command: { type: 'create-new', data: { id: 'w1', text: 'Write the report' } } },
    { model: 'Todos', id: 'work', command: { type: 'change-completed', data: { id: 'w1', completed: true } }, options: { metadata: { user: 'ann' } } },
  ])
  const streams: StreamInfo[] = await engine.streams({ model: 'Todos' })
  const history: StoredEvent[] = await engine.readStream('Todos-work', { fromVersion: 1, limit: 100 })
  console.log(batch.length, streams.map((s) => `${s.stream}@${s.version}`), history.map((e) => e.metadata.user))

  // Your own JSON, with integers past 2^53 kept exact.
  const body: JsonValue = parseJson('{"amount": 9223372036854775807}')
  const text: string = stringifyJson({ amount: 2n ** 63n - 1n, at: new Date(0) })
  console.log(body, text, errors.LimitExceededError.name)

  // The same engine from a worker: share() gives a plain object to post.
  const handle = engine.share()
  const again: Engine = eventfold.Engine.fromShared(handle)
  console.log((await again.load<TodosState>('Todos', 'home')).version)
  await again.close()

  // The read side: the board's rows (inline: in step with each command),
  // read-your-writes for async projections, and a subscription.
  interface TodoRow {
    list_id: string
    id: string
    text: string
    completed: boolean
    done_at: string | null
  }
  const rows: TodoRow[] = await engine.rows<TodoRow>('todo_rows', { key: 'work', limit: 10 })
  const page: TodoRow[] = engine.rowsSync<TodoRow>('todo_rows', { after: ['home', 'a'] })
  const reached: boolean = await engine.waitFor(result.position, { timeout: 5000 })
  const board: ProjectionStatus[] = await engine.projections()
  const rebuilt: Rebuilt = await engine.rebuild('todo-board')
  console.log(rows.map((r) => `${r.list_id}/${r.id}: ${r.text}`), page.length, reached, board.map((p) => `${p.name} ${p.status} lag ${p.lag}`), rebuilt.events)
  try {
    await engine.rows('todo_rowz')
  } catch (e) {
    if (e instanceof UnknownTableError) console.log(e.code, e.message)
    else throw e
  }

  const sub: Subscription<Created> = await engine.subscribe<Created>('typed-example', { from: 'start', types: ['created'] })
  for await (const event of sub) {
    console.log(event.position, event.data.text)
    if (event.position >= result.position) break // leaves this one unacked: it comes again
  }
  const polled: Created[] = await sub.poll(10, 0)
  if (polled.length > 0) await sub.ack(polled[polled.length - 1].position)
  await sub.close()
  const subs: SubscriptionInfo[] = engine.subscriptionsSync()
  const parked: ParkedEvent[] = await engine.parked('typed-example')
  console.log(subs.map((s) => `${s.name} at ${s.checkpoint}`), parked.length)

  const { state: loaded } = engine.loadSync<TodosState>('Todos', 'home')
  const done = await engine.query<Todo[]>('Todos', 'home', 'done-todos')
  console.log(Object.keys(loaded.todos), lines(done))
  for (const e of await engine.readAll({ fromPosition: 1, limit: 10 })) console.log(e.position, e.type)
  await engine.close()
}
