// The todo app, typed by the code `eventfold generate --lang ts` wrote from
// ../todos/todos.model into ./generated (regenerate it after a model change:
// `eventfold generate --lang ts ../todos/todos.model -o generated`).
// Every call goes through the eventfold package; the generated classes only
// name things. Run: `npx tsc -p . --noEmit false --outDir out && node out/todos-app.js`.
import { Domain, Engine } from 'eventfold'
import { ReadSide, TodosModel, type TodoRow, type TodosEvent } from './generated/index.js'

export async function main(modelPath: string, store = 'memory:'): Promise<string[]> {
  const out: string[] = []
  const print = (line: string) => {
    out.push(line)
    console.log(line)
  }
  const domain = Domain.fromFiles(modelPath)
  const engine = await Engine.open(store, domain)
  try {
    const todos = new TodosModel(engine)

    // The pure verbs: no store, just the model.
    const pure = todos.domain
    const events: TodosEvent[] = pure.propose(null, { type: 'create-new', data: { id: 'a', text: 'Buy milk' } })
    const state = pure.replay(events)
    print(`proposed: ${events.map((e) => e.type).join(', ')}; remaining: ${pure.query(state, 'remaining')}`)

    // Over a store: one method per command, typed data, typed events back.
    const groceries = todos.stream('groceries')
    await groceries.createNew({ id: 'a', text: 'Buy milk' })
    const done = await groceries.createNew({ id: 'b', text: 'Buy bread' }, { metadata: { user: 'ann' } })
    print(`${done.stream} is at version ${done.version}; ${done.events[0]?.data.text} by ${done.events[0]?.metadata['user']}`)
    await groceries.changeCompleted({ id: 'a', completed: true })

    try {
      await groceries.createNew({ id: 'a', text: 'Again' })
    } catch (e) {
      // Narrowed: e.reason is 'duplicate' | 'blank'.
      if (!TodosModel.isRejection(e, 'create-new')) throw e
      print(`rejected (${e.reason}): ${e.message}`)
    }

    const { state: list, version } = await groceries.load()
    print(`version ${version}`)
    for (const todo of Object.values(list.todos)) print(`- [${todo.completed ? 'x' : ' '}] ${todo.text}`)
    print(`remaining: ${await groceries.remaining()}; has b: ${await groceries.hasTodo({ id: 'b' })}`)
    for (const e of await groceries.events()) {
      // `type` narrows `data`.
      if (e.type === 'created') print(`${e.version} created ${e.data.id}: ${e.data.text}`)
      else if (e.type === 'completed-changed') print(`${e.version} completed-changed ${e.data.id}: ${e.data.completed}`)
      else print(`${e.version} ${e.type}`)
    }

    // The read side: the board's rows, typed.
    const rows: TodoRow[] = await new ReadSide(engine).todoRows.rows({ key: 'groceries' })
    for (const r of rows) print(`row ${r.list_id}/${r.id}: ${r.text} done ${r.done_at === null ? 'no' : 'yes'}`)
  } finally {
    await engine.close()
  }
  return out
}

if (require.main === module) {
  main(process.argv[2] ?? `${__dirname}/../../todos/todos.model`).catch((e) => {
    console.error(e)
    process.exit(1)
  })
}
