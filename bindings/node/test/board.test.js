'use strict'
// The version 1 verbs on the shared board model: project folds onto given
// tables, stored events of older shapes, and describe's tables and
// projections, as a Node user meets them.
const { test } = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const ef = require('..')
const { Domain } = ef

const SCENARIOS = process.env.EVENTFOLD_SCENARIOS || path.resolve(__dirname, '../../../../shared/scenarios')
const board = Domain.fromFiles(path.join(SCENARIOS, 'v1', 'board.model'))

const cardRow = {
  board_id: 'b1',
  card_id: 'a',
  title: 'Spec',
  lane: 'todo',
  priority: 'normal',
  labels: [],
  added_at: '2026-01-01T00:00:00Z',
  added_by: null,
  moved_at: null,
  version: 1,
}

test('project folds events onto the tables it is given, and gives every table it writes', () => {
  const tables = { boards: [{ board_id: 'b1', title: 'Sprint', cards: 1 }], card_rows: [cardRow] }
  const moved = { model: 'Board', id: 'b1', type: 'card-moved', data: { id: 'a', lane: 'done' }, version: 2, recorded_at: new Date('2026-03-02T09:15:00Z') }
  const out = board.project('board-screen', [moved], tables)
  assert.deepEqual(Object.keys(out).sort(), ['boards', 'card_rows'])
  assert.deepEqual(out.card_rows, [{ ...cardRow, lane: 'done', moved_at: '2026-03-02T09:15:00Z', version: 2 }])
  assert.deepEqual(out.boards, tables.boards)
  // the tables given are not changed
  assert.equal(tables.card_rows[0].lane, 'todo')
  // no tables: empty
  assert.deepEqual(board.project('board-screen', [moved]), { card_rows: [], boards: [] })
  assert.deepEqual(board.project('board-screen', [], null), { card_rows: [], boards: [] })
})

test('project upcasts stored events of older shapes, and keeps big ints exact', () => {
  const out = board.project('board-screen', [{ model: 'Board', id: 'b1', type: 'task-created', schema: 1, data: { id: 't', text: 'Old' } }])
  assert.deepEqual(out.card_rows.map((r) => [r.card_id, r.title, r.lane, r.priority]), [['t', 'Old', 'todo', 'normal']])
  const far = 2n ** 60n
  const feed = board.project('board-activity', [{ model: 'Board', id: 'b1', type: 'board-named', data: { title: 'X' }, position: far }])
  assert.equal(feed.activity[0].position, far)
})

test('project errors: unknown projection, a bad event at its path, a bad table', () => {
  assert.throws(() => board.project('board-screens', []), (e) => e instanceof ef.UnknownProjectionError && e.code === 'unknown_projection')
  assert.throws(
    () => board.project('board-screen', [{ model: 'Board', id: 'b1', type: 'card-added', schema: 1, data: { id: 'a', title: 5 } }]),
    (e) => e instanceof ef.InvalidEventError && e.path === 'data.title'
  )
  assert.throws(() => board.project('board-screen', [{ model: 'Board', id: 'b1', type: 'card-added', schema: 3, data: {} }]), ef.UnknownEventError)
  assert.throws(() => board.project('board-screen', [], { nope: [] }), (e) => e instanceof ef.UnknownTableError && e.code === 'unknown_table')
  assert.throws(
    () => board.project('board-screen', [], { boards: [{ board_id: 'b1', cards: 'x' }] }),
    (e) => e instanceof ef.InvalidEventError && e.path === 'tables.boards[0].cards'
  )
})

test('describe has versions, upcasts, tables, projections and the tzdb', () => {
  const d = board.describe()
  const m = d.models[0]
  assert.equal(m.events.find((e) => e.name === 'card-added').version, 2)
  assert.equal(m.events.find((e) => e.name === 'card-moved').version, 1)
  const up = m.upcasts.find((u) => u.name === 'card-added' && u.version === 1)
  assert.deepEqual(up.emits, [{ name: 'card-added', version: 2 }])
  assert.deepEqual(d.tables.map((t) => [t.name, t.projection]), [
    ['card_rows', 'board-screen'],
    ['boards', 'board-screen'],
    ['activity', 'board-activity'],
    ['card_labels', 'board-activity'],
  ])
  assert.deepEqual(d.tables[0].key, ['board_id', 'card_id'])
  const labels = d.tables[0].columns.find((c) => c.name === 'labels')
  assert.deepEqual([labels.key, labels.optional, labels.default], [false, false, []])
  assert.deepEqual(d.projections.map((p) => [p.name, p.mode]), [
    ['board-screen', 'inline'],
    ['board-activity', 'async'],
  ])
  assert.ok(d.projections[0].handles.some((h) => h.model === 'Board' && h.event === 'card-added'))
  assert.deepEqual(d.projections[1].writes, ['activity', 'card_labels'])
  assert.match(d.tzdb, /^\d{4}[a-z]$/)
  assert.match(board.describeMarkdown(), /card_rows/)
})
