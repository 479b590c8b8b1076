// Types of the `eventfold` package. See docs/guides/node.md.

/**
 * A JSON value as eventfold reads and writes it. An `int` past
 * `Number.MAX_SAFE_INTEGER` (2^53 - 1) comes back as a `bigint`, never
 * rounded; a `bigint` given in input is written as its exact digits.
 * A `Date` given in input is written as its ISO 8601 text (fit for a
 * `timestamp`); timestamps always come back as strings.
 */
export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | JsonObject
export interface JsonObject {
  [key: string]: JsonValue
}
/** What input may also hold: anything whose `toJSON()` gives a JSON value (a `Date`, say). */
export type JsonInput = JsonValue | Date | { toJSON(): unknown } | JsonInput[] | { [key: string]: JsonInput | undefined }

/** A command, as `propose` and `execute` take it (MODEL-LANGUAGE.md §8). */
export interface Command<Type extends string = string, Data extends object = { [key: string]: JsonInput }> {
  type: Type
  /** May be left out when no param is required. */
  data?: Data
  /** The caller's id for the command: a repeated id on a stream appends nothing and returns the first result. */
  id?: string
  /** Strings only; the model reads them as `meta`. */
  metadata?: { [key: string]: string }
}

/** An event as `propose` returns it and `accept`/`replay` take it. */
export interface DomainEvent<Type extends string = string, Data extends object = JsonObject> {
  type: Type
  data: Data
}

/** An event as the store keeps it. */
export interface StoredEvent<Type extends string = string, Data extends object = JsonObject> extends DomainEvent<Type, Data> {
  /** A UUIDv7. */
  id: string
  /** `Model-id`. */
  stream: string
  /** 1-based and contiguous per stream. A `bigint` past 2^53 - 1 (9·10^15 events; never reached in practice). */
  version: number
  /** Global, unique and increasing. A `bigint` past 2^53 - 1, like `version`. */
  position: number
  /** The version of the event's shape (MODEL-LANGUAGE.md §12): the current one, as reads upcast; as written with `raw: true`. */
  schema: number
  /** `recorded_at`, `command_id`, `correlation_id`, `causation_id` (as the core names them), and the caller's keys. */
  metadata: {
    recorded_at: string
    command_id?: string | null
    correlation_id?: string | null
    causation_id?: string | null
    [key: string]: JsonValue | undefined
  }
}

/**
 * What the verbs take: your own interfaces fit (they need no index
 * signature); the values are converted as `JsonInput` says. An event given
 * to `accept`, `replay` or `upcast` may name the version of its shape
 * (`schema`, an int >= 1; left out: the current one): an older one is
 * upcast first (MODEL-LANGUAGE.md §12).
 */
export type AnyCommand = Command<string, object>
export type AnyEvent = DomainEvent<string, object> & { schema?: number }
export type AnyStoredEvent = StoredEvent<string, object>
/** An event at the model's current version, as `upcast` returns it. */
export interface UpcastEvent<Type extends string = string, Data extends object = JsonObject> extends DomainEvent<Type, Data> {
  /** The current version of the event's shape. */
  schema: number
}

/** A stored event as `upcast` takes it: `data` may be left out when no field is required. */
export interface StoredShape {
  type: string
  /** The version of its shape; left out: the newest version declared for `type`. */
  schema?: number
  data?: object
}

/**
 * An event as `project` takes it (MODEL-LANGUAGE.md §13): from the stream
 * `model-id`. Left out: `schema` the current version, `version` the count of
 * that stream's events in the list so far, `position` its place in the list
 * (from 1), `recorded_at` `2026-01-01T00:00:00Z`, `metadata` `{}`,
 * `event_id` `""`.
 */
export interface ProjectEvent {
  model: string
  id: string
  type: string
  data?: object
  schema?: number
  version?: number | bigint
  position?: number | bigint
  /** RFC 3339, or a `Date`. */
  recorded_at?: string | Date
  metadata?: { [key: string]: JsonInput }
  event_id?: string
}

/** A table's row: its columns by name. */
export type Row = JsonObject
/** Tables by name, each a list of rows (`project` gives them in key order). */
export interface Tables<R extends object = Row> {
  [table: string]: R[]
}

/** A state as a verb takes it; `null` or `undefined`: the model's initial state. */
export type State = object | null | undefined

export interface ProposeOptions {
  /** The command's `now`: a Date or an RFC 3339 string. Default: the clock, when the model reads `now`. */
  now?: Date | string
}

/** Model files: a string (one file), `{fileName: text}`, or an array of `{name, text}` (or of bare texts). */
export type Sources = string | { [fileName: string]: string } | Array<{ name: string; text: string } | string>

/** One field, param or state field in `describe()`. */
export interface FieldDescription {
  name: string
  /** As the model spells it: `string`, `list<Todo>`, `int?`, ... */
  type: string
  required: boolean
  default?: JsonValue
  doc: string | null
}

export interface ModelDescription {
  name: string
  doc: string | null
  state: FieldDescription[]
  records: Array<{ name: string; doc: string | null; fields: FieldDescription[] }>
  enums: Array<{ name: string; doc: string | null; members: Array<{ name: string; doc: string | null }> }>
  commands: Array<{
    name: string
    doc: string | null
    params: FieldDescription[]
    /** The events the command may emit. */
    emits: string[]
    /** The rejections it may give (`reason` is null for a reject without one). */
    rejections: Array<{ reason: string | null; message: string }>
  }>
  /** The current events; `version` is the version of each one's shape (1 unless declared `name@N`). */
  events: Array<{ name: string; doc: string | null; version: number; fields: FieldDescription[] }>
  /** How older shapes of events (and retired names) are read: each emits the events it becomes. */
  upcasts: UpcastDescription[]
  queries: Array<{ name: string; doc: string | null; params: FieldDescription[]; returns: string }>
  invariants: Array<{ text: string; doc: string | null }>
}

export interface UpcastDescription {
  name: string
  version: number
  doc: string | null
  fields: FieldDescription[]
  /** The events (name and version) the upcast may emit. */
  emits: Array<{ name: string; version: number }>
}

export interface ColumnDescription {
  name: string
  /** As the model spells it: `string`, `int`, `list<string>`, ... */
  type: string
  /** Whether the column is part of the table's key. */
  key: boolean
  /** Whether the column may be null (`T?`). */
  optional: boolean
  /** The default written when an insert leaves the column out; `null`: none. */
  default: JsonValue
  doc: string | null
}

export interface TableDescription {
  name: string
  doc: string | null
  columns: ColumnDescription[]
  /** The key's columns, in order. */
  key: string[]
  /** The projection that writes the table. */
  projection: string
}

export interface ProjectionDescription {
  name: string
  mode: 'inline' | 'async'
  doc: string | null
  /** The events it handles, by model. */
  handles: Array<{ model: string; event: string }>
  /** The tables it writes. */
  writes: string[]
}

export interface DomainDescription {
  models: ModelDescription[]
  tables: TableDescription[]
  projections: ProjectionDescription[]
  /** The release of the IANA time zone database the calendar uses (`2025b`). */
  tzdb: string
}

/**
 * Compiled model files: the pure verbs. Every call is synchronous (no store,
 * no I/O) and safe to make from any thread or worker.
 */
export declare class Domain {
  private constructor()
  /** Compiles model files into one domain; a `ModelError` carries every diagnostic. */
  static compile(sources: Sources): Domain
  /**
   * Reads and compiles model files (synchronously; the core reads them). A
   * file that cannot be read is an `IoError` whose `path` names it.
   */
  static fromFiles(...paths: Array<string | string[]>): Domain
  /** The names of the models, in declaration order. */
  models(): string[]
  /** The whole ubiquitous language: models, state, commands, events, queries, invariants, docs. */
  describe(): DomainDescription
  /** The same as a Markdown glossary. */
  describeMarkdown(): string
  initialState<S = JsonObject>(model: string): S
  /** The events a command gives on a state (`null`/`undefined`: the initial state); throws `RejectedError` when a rule rejects it. */
  propose<E extends AnyEvent = DomainEvent>(model: string, state: State, command: AnyCommand, options?: ProposeOptions): E[]
  /** The state after one event. */
  accept<S = JsonObject>(model: string, state: State, event: AnyEvent): S
  /** Events folded over a state (default: the initial state). */
  replay<S = JsonObject>(model: string, events: AnyEvent[], state?: State): S
  query<R = JsonValue>(model: string, state: State, name: string, args?: object): R
  /**
   * A stored event as the current model reads it: the events it becomes,
   * each at its current version (none when the upcast drops it, several when
   * it splits). `UnknownEventError` for a version no declaration has.
   */
  upcast<E extends UpcastEvent<string, object> = UpcastEvent>(model: string, event: StoredShape): E[]
  /**
   * The tables of `projection` after folding `events` in order onto `tables`
   * (default: empty): `{table: [rows in key order]}` for every table it
   * writes. `UnknownProjectionError` when the domain has no such projection.
   */
  project<T extends object = Tables>(projection: string, events: ProjectEvent[], tables?: { [table: string]: object[] } | null): T
}

/** Options are checked by the core, the same in every binding: a key it does not know, a value of the wrong type or out of range is an `InvalidCommandError` whose `path` names the option in snake_case (`options.cache_capacity`). */
export interface EngineOptions {
  /** Streams whose state is kept in memory (LRU). Default 10,000. */
  cacheCapacity?: number
  /** The fewest events between two snapshots of a stream (0: never); they are written in the background, once the events outweigh the state. Default 100. */
  snapshotEvery?: number
  /** No longer used: commands are decided inside the write, so none loses a race. Accepted so that existing code runs. */
  maxAttempts?: number
  /** Whether this engine runs the async projections (and rebuilds). Default true; false: it writes inline projections and reads, and another process runs the async ones. */
  runProjections?: boolean
  /** What an async projection does with an event whose handler fails: `'stop'` (the default) stops it there, with the error in `projections()`; `'park'` keeps the event in `parked(projection)` and goes on. */
  onProjectionError?: 'stop' | 'park'
  /**
   * What a command does when the store's active version of its model is no
   * longer this engine's (another process applied a migration): `'fail'`
   * (the default) rejects it with a `ModelChangedError`, writing nothing;
   * `'follow'` loads the active model from the store, switches this engine
   * to it, and runs the command again with it.
   */
  onModelChange?: 'fail' | 'follow'
}

export interface ExecuteOptions {
  /** The version the stream must be at; a mismatch is a `VersionConflictError` at once (no retry). */
  expectedVersion?: number | bigint
  /** A repeated id on a stream returns the first result and appends nothing. Overrides the command's `id`. */
  commandId?: string
  /** Merged over the command's own metadata, stored with each event. */
  metadata?: { [key: string]: string }
  /** The command's `now`. Default: the engine's clock. */
  now?: Date | string
  correlationId?: string
  causationId?: string
}

export interface Executed<E extends AnyStoredEvent = StoredEvent> {
  /** `Model-id`. */
  stream: string
  /** The stream's version after the command. */
  version: number
  /** The global position of the command's last event (0 when it appended nothing): what to give `waitFor`. */
  position: number
  /** Empty when the command emitted nothing. */
  events: E[]
}

export interface Loaded<S = JsonObject> {
  state: S
  version: number
}

export interface StreamInfo {
  stream: string
  version: number
}

/** What `engine.share()` gives: structured-cloneable, for `workerData` or `postMessage`. */
export interface SharedEngine {
  readonly eventfoldEngine: number
}

export interface ExecuteRequest {
  model: string
  id: string
  command: AnyCommand
  options?: ExecuteOptions
}

export interface ReadStreamOptions {
  /** The first version to read (1-based). */
  fromVersion?: number | bigint
  limit?: number
  /** The events exactly as stored, one per stored row: `type`, `schema` and `data` as written, not upcast. Default false. */
  raw?: boolean
}

export interface ReadAllOptions {
  /** The first position to read. */
  fromPosition?: number | bigint
  limit?: number
  /** The events exactly as stored, one per stored row: `type`, `schema` and `data` as written, not upcast. Default false. */
  raw?: boolean
}

/** A key column's value: `string`, `int`, `bool`, `timestamp` (a `Date` or RFC 3339 text) or an enum member's name. */
export type KeyValue = string | number | bigint | boolean | Date

export interface RowsOptions {
  /** A prefix of the key's values, in key order; a lone value is the first. */
  key?: KeyValue | KeyValue[]
  /** A whole key: the rows after it (to page on from the last row read). */
  after?: KeyValue[]
  /** At most so many rows. */
  limit?: number
}

export interface ProjectionStatus {
  name: string
  mode: 'inline' | 'async'
  status: 'live' | 'rebuilding' | 'stopped'
  /** The last position it has folded. */
  position: number
  /** Events stored past `position`. */
  lag: number
  /** How many events it has parked (`onProjectionError: 'park'`). */
  parked: number
  /** Why it stopped, at which event; `null` while it runs. */
  error: { code: ErrorCode; message: string; position: number } | null
  /** While it is rebuilt: the shadow tables' position and the head then. */
  rebuild: { position: number; head: number } | null
  /** The engine (`host:pid:id`) whose runner holds it now; `null` while none does (and for an inline one). */
  runner: string | null
}

export interface WaitForOptions {
  /** Wait for this projection only (default: every async projection). */
  projection?: string
  /** Milliseconds; default 30,000. */
  timeout?: number
}

/** What `rebuild` did. */
export interface Rebuilt {
  projection: string
  /** The position the new rows reached. */
  position: number
  /** Events read from the store. */
  events: number
  /** Milliseconds, with a fraction. */
  millis: number
  /** How long the last batch and the swap held the write lock (ms). */
  pause_millis: number
}

export interface MigratePlanOptions {
  /** How many of the streams whose state comes out different are shown with their difference. Default 5. */
  differences?: number
}

/** What a declaration of the language is, in a plan's `language`. */
export type LanguageKind = 'state' | 'command' | 'event' | 'upcast' | 'query' | 'invariant' | 'record' | 'enum' | 'model'

/** What `migratePlan` found; nothing was changed. */
export interface MigratePlan {
  /** False when `blocking` or `replay.failed` is not empty, or a projection fails: `migrateApply` refuses such a plan. */
  ok: boolean
  /** Each model of the new domain: the active revision (`null`: none yet), the new one, and whether its streams replay. */
  models: Array<{ model: string; from: string | null; to: string; replay: boolean }>
  /** The ubiquitous language's differences; `name` as declared (`created@2`). */
  language: Array<{ model: string; change: 'added' | 'removed' | 'changed'; kind: LanguageKind; name: string }>
  /** Every stored (type, schema) the new model cannot read, with how many events have it. */
  blocking: Array<{ model: string; type: string; schema: number; events: number; code: ErrorCode; message: string }>
  replay: {
    streams: number
    events: number
    /** The streams the new model cannot fold, with the error. */
    failed: Array<{ stream: string; code: ErrorCode; message: string }>
    /** How many streams end in a state different from the old model's. */
    different: number
    /** The first of them (`differences`, default 5), each with what changed, by path. */
    differences: Array<{ stream: string; changes: Array<{ path: string; before: JsonValue; after: JsonValue }> }>
  }
  /**
   * The projections to build: `new`, `changed` (rebuilt) or `removed`; for a new or changed one, how each of its
   * tables' rows would change (counted by key against the live rows), or the error it fails with on the stored events.
   */
  projections: Array<{
    name: string
    change: 'new' | 'changed' | 'removed'
    tables?: Array<{ table: string; before: number; after: number; added: number; removed: number; changed: number }>
    error?: { code: ErrorCode; message: string }
  }>
}

/** What `migrateApply` did. */
export interface MigrateApplied {
  models: Array<{ model: string; from: string | null; to: string }>
  /** Snapshots built with the new models. */
  snapshots: number
  /** The projections rebuilt. */
  projections: string[]
  /** Events read while building. */
  events: number
  /** Events written during the build that the final pause folded. */
  caught_up: number
  /** The store's position at the switch. */
  position: number
  /** Milliseconds in all, with a fraction. */
  millis: number
  /** How long writers were held off (the final transaction), in ms. */
  pause_millis: number
}

/** A model version registered in the store (each version that wrote to it). */
export interface ModelVersion {
  model: string
  revision: string
  fingerprint: string
  /** Whether it is the store's active version of its model. */
  active: boolean
  /** RFC 3339. */
  registered_at: string
  /** RFC 3339; `null` for a version never active. */
  activated_at: string | null
}

export interface SubscribeOptions {
  /** Where a new subscription starts: `'start'` (default), `'end'` (only events after now), or a position (inclusive). A subscription that has a checkpoint resumes there. */
  from?: 'start' | 'end' | number | bigint
  /** Only events of these models. Given, they replace the stored filter. */
  models?: string[]
  /** Only events of these types. */
  types?: string[]
}

export interface SubscriptionInfo {
  name: string
  /** Every event up to it is done. */
  checkpoint: number
  /** Positions between the checkpoint and the store's head (filtered out or not). */
  lag: number
  parked: number
  /** The filters it delivers through; empty: every model, every type. */
  models: string[]
  types: string[]
  /** Whether a consumer holds it now. */
  active: boolean
}

export interface ParkedEvent<E extends AnyStoredEvent = StoredEvent> {
  /** The subscription or projection that parked it. */
  name: string
  position: number
  reason: string
  /** RFC 3339. */
  parked_at: string
  /** The event as stored (its data and schema as written, not upcast). */
  event: E
}

/**
 * Stored events for host code, upcast, in global order, at least once from
 * a durable checkpoint; one consumer per name at a time (another handle's
 * polls give `[]` until this one closes). `for await (const event of sub)`
 * yields events forever, waking on new ones, until the subscription is
 * closed (from anywhere: the loop then ends); each event is acked when the
 * loop asks for the next one (written in the background while the next one
 * is handled; leaving the loop waits for it), so leaving the loop (break,
 * return, a throw) leaves the last one unacked, and it comes again.
 */
export declare class Subscription<E extends AnyStoredEvent = StoredEvent> implements AsyncIterable<E> {
  private constructor()
  readonly name: string
  /** Closed by `close()` or by its engine's. */
  readonly closed: boolean
  /** Up to `max` (default 100) events after the last one this handle delivered, waiting up to `timeoutMs` (default 1000) for the first; `[]` at the timeout. */
  poll(max?: number, timeoutMs?: number): Promise<E[]>
  pollSync(max?: number, timeoutMs?: number): E[]
  /** Stores the checkpoint durably: every event up to `position` is done. */
  ack(position: number | bigint): Promise<void>
  ackSync(position: number | bigint): void
  /** Keeps the event at `position` in `parked(name)` with `reason`, and acks it. */
  park(position: number | bigint, reason: string): Promise<void>
  parkSync(position: number | bigint, reason: string): void
  /** Lets the name go to the next consumer; a waiting poll gives `[]` at once. Later calls fail with `StoreError`; twice is fine. */
  close(): Promise<void>
  closeSync(): void
  [Symbol.asyncIterator](): AsyncGenerator<E, void, undefined>
}

/**
 * A domain over an event store. Calls that touch the store return Promises
 * and run on the engine's own threads, so the event loop never waits on SQLite;
 * each has a `*Sync` twin that runs on the calling thread. Commands on one
 * stream are serialised without lost updates, however many are in flight.
 */
export declare class Engine {
  private constructor()
  /** Opens `memory:`, `sqlite:PATH` (`sqlite:PATH?synchronous=normal` trades the last transactions for speed) or `postgres://USER:PASSWORD@HOST:PORT/DB?schema=NAME` (docs/postgres.md). */
  static open(store: string, domain: Domain, options?: EngineOptions): Promise<Engine>
  static openSync(store: string, domain: Domain, options?: EngineOptions): Engine
  /**
   * A plain object to post to a worker, where `Engine.fromShared` gives the
   * same engine back (one store and one cache for every thread, `memory:`
   * included). The engine stays open until this Engine closes it; a worker's
   * `close()` only lets go of its handle.
   */
  share(): SharedEngine
  /** The engine another thread shared; throws `StoreError` when its owner has closed it. */
  static fromShared(handle: SharedEngine): Engine
  /** The Domain this engine runs: another one once it has applied a model change or followed one (`onModelChange: 'follow'`). */
  readonly domain: Domain
  /** Loads the stream `model-id`, proposes the command, appends its events atomically. */
  execute<E extends AnyStoredEvent = StoredEvent>(model: string, id: string, command: AnyCommand, options?: ExecuteOptions): Promise<Executed<E>>
  executeSync<E extends AnyStoredEvent = StoredEvent>(model: string, id: string, command: AnyCommand, options?: ExecuteOptions): Executed<E>
  /** Many commands in one transaction: all appended, or none. */
  executeMany(requests: ExecuteRequest[]): Promise<Executed[]>
  executeManySync(requests: ExecuteRequest[]): Executed[]
  load<S = JsonObject>(model: string, id: string): Promise<Loaded<S>>
  loadSync<S = JsonObject>(model: string, id: string): Loaded<S>
  /** A query on the stream's current state. */
  query<R = JsonValue>(model: string, id: string, name: string, args?: object): Promise<R>
  querySync<R = JsonValue>(model: string, id: string, name: string, args?: object): R
  /** A stream's events in order; `E`: their type, as the generated `TodosStoredEvent` (unchecked, like `execute`'s). */
  readStream<E extends AnyStoredEvent = StoredEvent>(stream: string, options?: ReadStreamOptions): Promise<E[]>
  readStreamSync<E extends AnyStoredEvent = StoredEvent>(stream: string, options?: ReadStreamOptions): E[]
  readAll<E extends AnyStoredEvent = StoredEvent>(options?: ReadAllOptions): Promise<E[]>
  readAllSync<E extends AnyStoredEvent = StoredEvent>(options?: ReadAllOptions): E[]
  streams(options?: { model?: string }): Promise<StreamInfo[]>
  streamsSync(options?: { model?: string }): StreamInfo[]
  /** Rows of a table in key order, each every column in declared order. `UnknownTableError` for a table the domain lacks. */
  rows<R extends object = Row>(table: string, options?: RowsOptions): Promise<R[]>
  rowsSync<R extends object = Row>(table: string, options?: RowsOptions): R[]
  /** Each projection, in the domain's order. */
  projections(): Promise<ProjectionStatus[]>
  projectionsSync(): ProjectionStatus[]
  /**
   * Read-your-writes: `true` once the async projections (or the one named)
   * have folded every event up to `position` (what `execute` returned),
   * `false` at the timeout. A projection stopped below it rejects with its
   * error; `UnknownProjectionError` for a name the domain lacks.
   */
  waitFor(position: number | bigint, options?: WaitForOptions): Promise<boolean>
  waitForSync(position: number | bigint, options?: WaitForOptions): boolean
  /** Rebuilds the projection's tables from the first event while the old rows answer reads, then swaps them. */
  rebuild(projection: string): Promise<Rebuilt>
  rebuildSync(projection: string): Rebuilt
  subscribe<E extends AnyStoredEvent = StoredEvent>(name: string, options?: SubscribeOptions): Promise<Subscription<E>>
  subscribeSync<E extends AnyStoredEvent = StoredEvent>(name: string, options?: SubscribeOptions): Subscription<E>
  subscriptions(): Promise<SubscriptionInfo[]>
  subscriptionsSync(): SubscriptionInfo[]
  /** The events a subscription or projection parked, oldest first; `[]` for none. */
  parked<E extends AnyStoredEvent = StoredEvent>(name: string): Promise<ParkedEvent<E>[]>
  parkedSync<E extends AnyStoredEvent = StoredEvent>(name: string): ParkedEvent<E>[]
  /**
   * What switching the store to `next` would do (MODEL-LANGUAGE.md §12):
   * language differences, stored events `next` cannot read, a replay of
   * the affected streams, projections to rebuild. Changes nothing.
   */
  migratePlan(next: Domain, options?: MigratePlanOptions): Promise<MigratePlan>
  migratePlanSync(next: Domain, options?: MigratePlanOptions): MigratePlan
  /**
   * Switches the store to `next` with a short pause for writers; from then
   * on this engine runs `next`. A plan that blocks is refused with its
   * first item's error (`UnknownEventError` for an unreadable stored event),
   * and nothing changes.
   */
  migrateApply(next: Domain, options?: Record<string, never>): Promise<MigrateApplied>
  migrateApplySync(next: Domain, options?: Record<string, never>): MigrateApplied
  /** Every model version registered in the store, which is active, and when. */
  modelVersions(): Promise<ModelVersion[]>
  modelVersionsSync(): ModelVersion[]
  /** After close, every call fails with a `StoreError`, and its subscriptions are closed. Closing twice is fine. */
  close(): Promise<void>
  closeSync(): void
}

/** The codes of MODEL-LANGUAGE.md §9, the same in every binding. */
export type ErrorCode =
  | 'rejected'
  | 'invalid_json'
  | 'invalid_command'
  | 'unknown_command'
  | 'invalid_event'
  | 'unknown_event'
  | 'unknown_model'
  | 'unknown_query'
  | 'model_error'
  | 'evaluation_error'
  | 'version_conflict'
  | 'limit_exceeded'
  | 'store_error'
  | 'model_changed'
  | 'unknown_table'
  | 'unknown_projection'
  | 'io_error'
  | 'internal'

/** Why a store failed: the `kind` of a `StoreError`. */
export type StoreErrorKind = 'busy' | 'unavailable' | 'corrupt' | 'closed' | 'io'

export interface Diagnostic {
  file: string
  /** 1-based. */
  line: number
  /** 1-based, in Unicode code points. */
  column: number
  message: string
}

/** Every error eventfold throws (or rejects with); the fields of §9 are set where the code carries them. */
export declare class EventfoldError extends Error {
  readonly code: ErrorCode
  /** `rejected`: the reason the model gave (`null` for a reject without one; `invariant` for an invariant). */
  readonly reason?: string | null
  /** `invalid_command`, `invalid_event`: where the fault is (`data.text`, `data.ids[2]`, `args.id`); `io_error`: the file that cannot be read. */
  readonly path?: string
  /** `model_error`: every diagnostic. */
  readonly diagnostics?: Diagnostic[]
  /** `version_conflict`: the version expected, and the stream's actual version. */
  readonly expected?: number | bigint
  readonly actual?: number | bigint
  /** `limit_exceeded`: which limit (`max_input_bytes`, `max_input_depth`, `max_steps`, ...). */
  readonly limit?: string
  /** `store_error`: why: `busy` or `unavailable` (retry), `corrupt`, `closed`, `io`. */
  readonly kind?: StoreErrorKind
  /** `model_changed`: the model the store runs a newer version of (see `onModelChange`). */
  readonly model?: string
  protected constructor(code: ErrorCode, message: string, fields?: object)
  /** `{code, message, ...}`, as the error crosses every binding. */
  toJSON(): { code: ErrorCode; message: string; [field: string]: unknown }
}
export declare class RejectedError extends EventfoldError {
  readonly code: 'rejected'
  readonly reason: string | null
}
export declare class InvalidJsonError extends EventfoldError {
  readonly code: 'invalid_json'
}
export declare class InvalidCommandError extends EventfoldError {
  readonly code: 'invalid_command'
  readonly path: string
}
export declare class UnknownCommandError extends EventfoldError {
  readonly code: 'unknown_command'
}
export declare class InvalidEventError extends EventfoldError {
  readonly code: 'invalid_event'
  readonly path: string
}
export declare class UnknownEventError extends EventfoldError {
  readonly code: 'unknown_event'
}
export declare class UnknownModelError extends EventfoldError {
  readonly code: 'unknown_model'
}
export declare class UnknownQueryError extends EventfoldError {
  readonly code: 'unknown_query'
}
export declare class ModelError extends EventfoldError {
  readonly code: 'model_error'
  readonly diagnostics: Diagnostic[]
}
export declare class EvaluationError extends EventfoldError {
  readonly code: 'evaluation_error'
}
export declare class VersionConflictError extends EventfoldError {
  readonly code: 'version_conflict'
  readonly expected: number | bigint
  readonly actual: number | bigint
}
export declare class LimitExceededError extends EventfoldError {
  readonly code: 'limit_exceeded'
  readonly limit: string
}
export declare class StoreError extends EventfoldError {
  readonly code: 'store_error'
  readonly kind: StoreErrorKind
}
export declare class ModelChangedError extends EventfoldError {
  readonly code: 'model_changed'
  readonly model: string
}
export declare class UnknownTableError extends EventfoldError {
  readonly code: 'unknown_table'
}
export declare class UnknownProjectionError extends EventfoldError {
  readonly code: 'unknown_projection'
}
/** A file given by path (a model file) is missing or unreadable; `path` names it, as given. */
export declare class IoError extends EventfoldError {
  readonly code: 'io_error'
  readonly path: string
}
export declare class InternalError extends EventfoldError {
  readonly code: 'internal'
}

/** The error classes by name. */
export declare const errors: {
  RejectedError: typeof RejectedError
  InvalidJsonError: typeof InvalidJsonError
  InvalidCommandError: typeof InvalidCommandError
  UnknownCommandError: typeof UnknownCommandError
  InvalidEventError: typeof InvalidEventError
  UnknownEventError: typeof UnknownEventError
  UnknownModelError: typeof UnknownModelError
  UnknownQueryError: typeof UnknownQueryError
  ModelError: typeof ModelError
  EvaluationError: typeof EvaluationError
  VersionConflictError: typeof VersionConflictError
  LimitExceededError: typeof LimitExceededError
  StoreError: typeof StoreError
  ModelChangedError: typeof ModelChangedError
  UnknownTableError: typeof UnknownTableError
  UnknownProjectionError: typeof UnknownProjectionError
  IoError: typeof IoError
  InternalError: typeof InternalError
}

/**
 * JSON text (a request body, a file) to values the way eventfold reads it:
 * integers past `Number.MAX_SAFE_INTEGER` as `bigint`; a float with no
 * fraction (`1.0`, `1e2`) a `number` that is written as a float again when
 * given to eventfold (so an `int` param refuses it, as the core does); text
 * that is not JSON throws `InvalidJsonError`.
 */
export declare function parseJson(text: string): JsonValue

/**
 * Values to JSON text the way eventfold writes them: a `bigint` as its exact
 * digits (where `JSON.stringify` throws), a cycle as an `InvalidJsonError`.
 */
export declare function stringifyJson(value: JsonInput): string

/** Everything above, as one object: `import eventfold from 'eventfold'`. */
declare const eventfold: typeof import('./index')
export default eventfold
