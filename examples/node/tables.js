'use strict'
// The read side from Node: commands go through eventfold, and the board's
// table `todo_rows` (kept by the inline projection `todo-board` of
// ../todos/todos.model, in the same transaction as the events) is read
// back with better-sqlite3, straight from the store file, as any other
// SQL table. Then a subscription picks up the events, as a mailer would.
//
//   node tables.js [STORE_FILE]    (a new file; default: one in a temp folder)

const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const Database = require('better-sqlite3')
const { Domain, Engine } = require('eventfold')

const MODEL = process.env.MODEL || path.join(__dirname, '..', 'todos', 'todos.model')

async function main(file, { log = console.log } = {}) {
  if (fs.existsSync(file)) throw new Error(`${file} exists: give the name of a new store file`)
  const engine = await Engine.open(`sqlite:${file}`, Domain.fromFiles(MODEL))
  const todo = (list, id, text) => engine.execute('Todos', list, { type: 'create-new', data: { id, text } })
  await todo('groceries', 'milk', 'Buy milk')
  await todo('groceries', 'eggs', 'Buy eggs')
  await todo('work', 'report', 'Write the report')
  await engine.execute('Todos', 'groceries', { type: 'change-completed', data: { id: 'milk', completed: true } })
  const last = await engine.execute('Todos', 'work', { type: 'change-text', data: { id: 'report', new_text: 'Send the report' } })
  // Read-your-writes: resolves once every async projection has folded the
  // last command's events; at once here, since the board is inline (its
  // rows committed with the events).
  await engine.waitFor(last.position)

  // The table as SQL: the engine made it with the column types of
  // MODEL-LANGUAGE.md §13 (a bool is INTEGER 0/1, a timestamp TEXT).
  const db = new Database(file, { readonly: true, fileMustExist: true })
  const sqlRows = db.prepare('SELECT list_id, id, text, completed, done_at FROM todo_rows ORDER BY list_id, id').all()
  const open = db.prepare('SELECT list_id, count(*) AS open FROM todo_rows WHERE completed = 0 GROUP BY list_id ORDER BY list_id').all()
  db.close()
  log('todo_rows, read with better-sqlite3:')
  for (const r of sqlRows) log(`  ${r.list_id}/${r.id}: ${r.completed ? '[x]' : '[ ]'} ${r.text}${r.done_at ? ` (done ${r.done_at})` : ''}`)
  log('open todos per list:', open.map((r) => `${r.list_id} ${r.open}`).join(', '))

  // The same rows through the engine, as JSON values.
  const rows = await engine.rows('todo_rows')
  log('through engine.rows:', rows.length, 'rows;', 'groceries only:', (await engine.rows('todo_rows', { key: 'groceries' })).length)

  // A subscription: every event once (at least), from its checkpoint.
  const sub = await engine.subscribe('example-mailer')
  const mailed = []
  for await (const event of sub) {
    if (event.type === 'created') mailed.push(`${event.stream}: ${event.data.text}`)
    if (event.position === last.position) break // leaves the last one unacked: a next consumer gets it again
  }
  await sub.close()
  log('the mailer saw:', mailed.join('; '))
  await engine.close()
  return { sqlRows, rows, mailed }
}

module.exports = { main }

if (require.main === module) {
  const file = process.argv[2] || path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'eventfold-tables-')), 'todos.db')
  main(file).then(
    () => console.log(`store: ${file}`),
    (e) => {
      console.error(e)
      process.exit(1)
    }
  )
}
