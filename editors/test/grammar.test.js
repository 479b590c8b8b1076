// The TextMate grammar, tokenized as VS Code does: chosen tokens of the
// todos example get the scopes a theme colours, every keyword of the lexer
// is highlighted as one, and every model file of the repository tokenizes
// with no character left unscoped and no string left open.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { tokenize, modelFiles, REPO, SCOPE, vsctm } = require('./tokenize');

const TODOS = path.join(REPO, 'examples', 'todos', 'todos.model');
const LEXER = path.join(REPO, 'core', 'src', 'language', 'lexer.rs');

/**
 * The token that starts where the `nth` (from 0) occurrence of `word` starts
 * on the first line that contains `lineHas`.
 */
function tokenAt(lines, lineHas, word, nth = 0) {
  const line = lines.find((l) => l.text.includes(lineHas));
  assert.ok(line, `no line contains ${JSON.stringify(lineHas)}`);
  let at = -1;
  for (let i = 0; i <= nth; i++) {
    at = line.text.indexOf(word, at + 1);
    assert.ok(at >= 0, `line ${line.line} has no ${JSON.stringify(word)} #${nth}: ${line.text}`);
  }
  const token = line.tokens.find((t) => t.start <= at && at < t.end);
  assert.ok(token, `no token at ${line.line}:${at}`);
  return { ...token, where: `line ${line.line} ${JSON.stringify(line.text.trim())}` };
}

/** Asserts that the token for `word` is exactly `word` and carries `scope` (a prefix). */
function expectScope(lines, lineHas, word, scope, nth = 0) {
  const t = tokenAt(lines, lineHas, word, nth);
  assert.equal(t.text, word, `${t.where}: the token at ${JSON.stringify(word)} is ${JSON.stringify(t.text)} (${t.scopes.join(' ')})`);
  assert.ok(
    t.scopes.some((s) => s === scope || s.startsWith(scope + '.')),
    `${t.where}: ${JSON.stringify(word)} has ${t.scopes.join(' ')}, not ${scope}`
  );
  return t;
}

test('chosen tokens of examples/todos/todos.model', async (t) => {
  const { lines } = await tokenize(fs.readFileSync(TODOS, 'utf8'));
  await t.test('model and its name', () => {
    expectScope(lines, 'model Todos {', 'model', 'keyword.declaration');
    expectScope(lines, 'model Todos {', 'Todos', 'entity.name.type.model');
  });
  await t.test('a doc comment', () => {
    expectScope(lines, '/// A list of things to do', '///', 'comment.line.documentation');
    expectScope(lines, '/// A list of things to do', ' A list of things to do: the first model of the eventfold design notes.', 'comment.line.documentation');
    expectScope(lines, '/// Every todo on the list, by id.', '///', 'punctuation.definition.comment');
  });
  await t.test('a string and its interpolation', () => {
    const open = expectScope(lines, 'reject duplicate "todo ${id} already exists"', '"', 'punctuation.definition.string.begin');
    assert.ok(open.scopes.includes('string.quoted.double.eventfold'), open.scopes.join(' '));
    expectScope(lines, 'reject duplicate "todo ${id} already exists"', 'todo ', 'string.quoted.double');
    expectScope(lines, 'reject duplicate "todo ${id} already exists"', '${', 'punctuation.section.interpolation.begin');
    const inner = expectScope(lines, 'reject duplicate "todo ${id} already exists"', 'id', 'variable.other', 0);
    assert.ok(inner.scopes.includes('meta.interpolation.eventfold'), inner.scopes.join(' '));
    assert.ok(inner.scopes.includes('source.eventfold.embedded'), inner.scopes.join(' '));
    expectScope(lines, 'reject duplicate "todo ${id} already exists"', '}', 'punctuation.section.interpolation.end');
    expectScope(lines, 'reject duplicate "todo ${id} already exists"', ' already exists', 'string.quoted.double');
    // After the string closes, the line is code again.
    const after = expectScope(lines, 'reject duplicate "todo ${id} already exists"', 'if', 'keyword.control');
    assert.ok(!after.scopes.some((s) => s.startsWith('string')), after.scopes.join(' '));
  });
  await t.test('a kebab name after command, event, emit, query', () => {
    expectScope(lines, 'command create-new(', 'command', 'keyword.declaration');
    expectScope(lines, 'command create-new(', 'create-new', 'entity.name.function.command');
    expectScope(lines, 'event text-changed(', 'text-changed', 'entity.name.function.event');
    expectScope(lines, 'emit done-cleared(', 'done-cleared', 'entity.name.function.event');
    expectScope(lines, 'query has-todo(', 'has-todo', 'entity.name.function.query');
  });
  await t.test('an upcast with its version', () => {
    expectScope(lines, 'upcast todo-added@1(', 'upcast', 'keyword.declaration');
    expectScope(lines, 'upcast todo-added@1(', 'todo-added', 'entity.name.function.event');
    expectScope(lines, 'upcast todo-added@1(', '@', 'punctuation.separator.version');
    expectScope(lines, 'upcast todo-added@1(', '1', 'constant.numeric.version');
  });
  await t.test('a number, booleans and null', () => {
    expectScope(lines, 'if size(done) > 0 {', '0', 'constant.numeric.integer');
    expectScope(lines, 'emit created(id, text, completed: false)', 'false', 'constant.language.boolean');
    expectScope(lines, 'query get-todo(', 'null', 'constant.language.null');
  });
  await t.test('type names', () => {
    expectScope(lines, 'todos: map<string, Todo>', 'map', 'support.type.primitive');
    expectScope(lines, 'todos: map<string, Todo>', 'string', 'support.type.primitive');
    expectScope(lines, 'todos: map<string, Todo>', 'Todo', 'entity.name.type');
    expectScope(lines, 'completed: bool', 'bool', 'support.type.primitive');
    expectScope(lines, 'done_at: timestamp?', 'timestamp', 'support.type.primitive');
    expectScope(lines, 'record Todo {', 'Todo', 'entity.name.type.record');
    expectScope(lines, 'todos: map<string, Todo>', 'todos', 'variable.other.declaration');
  });
  await t.test('statements', () => {
    expectScope(lines, 'let done =', 'let', 'keyword.control');
    expectScope(lines, 'let done =', 'done', 'variable.other.let');
    expectScope(lines, 'reject blank', 'blank', 'constant.other.reason');
    expectScope(lines, 'for id in ids {', 'in', 'keyword.control.loop');
    expectScope(lines, 'if id in todos', 'in', 'keyword.operator.word', 0);
    expectScope(lines, 'text.trim()', 'trim', 'support.function.method');
  });
  await t.test('tables and projections (§13)', () => {
    expectScope(lines, 'table todo_rows {', 'table', 'keyword.declaration');
    expectScope(lines, 'table todo_rows {', 'todo_rows', 'entity.name.type.table');
    expectScope(lines, 'key list_id: string', 'key', 'keyword.declaration');
    expectScope(lines, 'key list_id: string', 'list_id', 'variable.other.declaration');
    expectScope(lines, 'projection todo-board inline {', 'projection', 'keyword.declaration');
    expectScope(lines, 'projection todo-board inline {', 'todo-board', 'entity.name.function.projection');
    expectScope(lines, 'projection todo-board inline {', 'inline', 'storage.modifier');
    expectScope(lines, 'on Todos.created {', 'on', 'keyword.declaration');
    expectScope(lines, 'on Todos.created {', 'Todos', 'entity.name.type.model');
    expectScope(lines, 'on Todos.created {', 'created', 'entity.name.function.event');
    expectScope(lines, 'on Todos.done-cleared {', 'done-cleared', 'entity.name.function.event');
    expectScope(lines, 'insert todo_rows(', 'insert', 'keyword.control');
    expectScope(lines, 'insert todo_rows(', 'todo_rows', 'entity.name.type.table');
    expectScope(lines, 'update todo_rows[stream.id, id](text: new_text)', 'update', 'keyword.control');
    expectScope(lines, 'update todo_rows[stream.id, id](text: new_text)', 'stream', 'variable.language');
    expectScope(lines, 'delete todo_rows[stream.id, id]', 'delete', 'keyword.control');
    expectScope(lines, 'done_at: completed ? event.recorded_at : null)', 'event', 'variable.language');
  });
});

test('lines that todos.model does not have', async () => {
  const src = [
    '// a plain comment',
    '//// four slashes: a plain comment too',
    'model Order {',
    '  enum Stage {',
    '    draft,',
    '    placed',
    '  }',
    '  command delete(id: string) {',
    '    reject "the order is ${stage}" if stage != Stage.draft',
    '    emit created@2(id, n: 1_000, f: 2.5e-3, g:  .5, due: now + duration("1h30m"))',
    '    let m = "${ {"a": 1}["a"] } and \\${ not this } \\n"',
    '  }',
    '  query left(at: timestamp): duration = duration(string(days) + "d")',
    '}',
    'table stock { key key: string',
    '  kind: Order.Stage = Order.Stage.draft }',
    'projection stock-view async {',
    '  on Order.created { upsert stock(key: id) }',
    '}',
  ].join('\n');
  const { lines } = await tokenize(src);
  expectScope(lines, '// a plain comment', '//', 'punctuation.definition.comment');
  const comment = expectScope(lines, '// a plain comment', ' a plain comment', 'comment.line.double-slash');
  assert.ok(!comment.scopes.some((s) => s.startsWith('comment.line.documentation')));
  const four = expectScope(lines, '//// four slashes', '//', 'comment.line.double-slash');
  assert.ok(!four.scopes.some((s) => s.startsWith('comment.line.documentation')), four.scopes.join(' '));
  expectScope(lines, '  enum Stage {', 'Stage', 'entity.name.type.enum');
  expectScope(lines, '    draft,', 'draft', 'variable.other.enummember');
  expectScope(lines, '    placed', 'placed', 'variable.other.enummember');
  expectScope(lines, 'command delete(', 'delete', 'entity.name.function.command');
  expectScope(lines, 'if stage != Stage.draft', 'draft', 'variable.other.enummember');
  expectScope(lines, 'emit created@2(', '2', 'constant.numeric.version', 0);
  expectScope(lines, 'emit created@2(', '1_000', 'constant.numeric.integer');
  expectScope(lines, 'emit created@2(', '2.5e-3', 'constant.numeric.float');
  expectScope(lines, 'emit created@2(', '.5', 'constant.numeric.float', 1);
  expectScope(lines, 'emit created@2(', 'now', 'variable.language');
  expectScope(lines, 'emit created@2(', 'duration', 'support.function.builtin');
  expectScope(lines, 'emit created@2(', '1h30m', 'constant.numeric.duration');
  // A map literal inside ${...}: its `}` does not close the interpolation.
  const key = expectScope(lines, 'let m =', 'a', 'string.quoted.double', 0);
  assert.equal(key.scopes.filter((s) => s === 'string.quoted.double.eventfold').length, 2, key.scopes.join(' '));
  assert.ok(key.scopes.includes('meta.interpolation.eventfold'), key.scopes.join(' '));
  expectScope(lines, 'let m =', '1', 'constant.numeric.integer');
  const close = expectScope(lines, 'let m =', '}', 'punctuation.section.interpolation.end', 1);
  assert.ok(!close.scopes.includes('source.eventfold.embedded'), close.scopes.join(' '));
  expectScope(lines, 'let m =', '\\$', 'constant.character.escape');
  expectScope(lines, 'let m =', '\\n', 'constant.character.escape');
  expectScope(lines, 'query left(', 'duration', 'support.type.primitive', 0);
  expectScope(lines, 'query left(', 'duration', 'support.function.builtin', 1);
  expectScope(lines, 'table stock { key key: string', 'key', 'keyword.declaration', 0);
  expectScope(lines, 'table stock { key key: string', 'key', 'variable.other.declaration', 1);
  expectScope(lines, 'kind: Order.Stage', 'Stage', 'entity.name.type', 0);
  expectScope(lines, 'kind: Order.Stage', 'draft', 'variable.other.enummember');
  expectScope(lines, 'projection stock-view async {', 'async', 'storage.modifier');
  expectScope(lines, 'upsert stock(', 'upsert', 'keyword.control');
});

test('an unterminated string ends at the end of its line, as the lexer says', async () => {
  const { lines } = await tokenize('  reject "no end ${id\n  emit done()');
  expectScope(lines, 'emit done()', 'emit', 'keyword.control');
  expectScope(lines, 'emit done()', 'done', 'entity.name.function.event');
});

/** The keywords of the lexer: the match arms of `Keyword::as_str`. */
function lexerKeywords() {
  const src = fs.readFileSync(LEXER, 'utf8');
  const body = src.match(/fn as_str\(self\)[^{]*\{([\s\S]*?)\n    \}/);
  assert.ok(body, `no fn as_str in ${LEXER}`);
  const words = [...body[1].matchAll(/Keyword::\w+\s*=>\s*"([^"]+)"/g)].map((m) => m[1]);
  const all = src.match(/ALL:\s*\[Keyword;\s*(\d+)\]/);
  assert.ok(all, `no Keyword::ALL in ${LEXER}`);
  assert.equal(words.length, Number(all[1]), `as_str has ${words.length} arms, Keyword::ALL ${all[1]} keywords`);
  return words;
}

// The literal words of the lexer's list are constants to a theme.
const LITERALS = { true: 'constant.language.boolean', false: 'constant.language.boolean', null: 'constant.language.null' };

test('every keyword of the lexer gets a keyword scope', async (t) => {
  const words = lexerKeywords();
  assert.ok(words.includes('model') && words.includes('remove'), words.join(' '));
  for (const word of words) {
    await t.test(word, async () => {
      const { lines } = await tokenize(`  ${word} `);
      const token = lines[0].tokens.find((x) => x.start === 2);
      assert.ok(token, `no token at ${word}`);
      assert.equal(token.text, word, `\`  ${word} \` gives the token ${JSON.stringify(token.text)}`);
      const want = LITERALS[word] || 'keyword.';
      assert.ok(
        token.scopes.some((s) => s.startsWith(want)),
        `\`${word}\` has ${token.scopes.join(' ')}, not ${want}*: add it to editors/textmate/eventfold.tmLanguage.json`
      );
    });
  }
});

// Everything the TextMate grammar can leave without a scope of its own.
function unscoped(line) {
  return line.tokens.filter((tok) => tok.text.trim() !== '' && tok.scopes.length === 1);
}

const FILES = [...modelFiles(path.join(REPO, 'examples')), ...modelFiles(path.join(REPO, '..', 'shared', 'scenarios'))];

test('every model file tokenizes fully, with nothing left open', async (t) => {
  assert.ok(FILES.some((f) => f.endsWith(path.join('examples', 'todos', 'todos.model'))), 'examples/todos/todos.model not found');
  for (const file of FILES) {
    await t.test(path.relative(REPO, file), async () => {
      const src = fs.readFileSync(file, 'utf8');
      const { lines, stack } = await tokenize(src);
      for (const line of lines) {
        const bare = unscoped(line);
        assert.deepEqual(bare.map((x) => x.text), [], `${file}:${line.line} has unscoped text: ${line.text}`);
        for (const tok of line.tokens) {
          const bad = tok.scopes.find((s) => s.startsWith('invalid.'));
          assert.ok(!bad, `${file}:${line.line}: ${JSON.stringify(tok.text)} is ${bad}`);
        }
      }
      // Every string, interpolation and enum body closed: the file ends at
      // the top level, as it began.
      const end = await tokenize(src + '\nmodel After {');
      const last = end.lines[end.lines.length - 1];
      expectScope([last], 'model After {', 'model', 'keyword.declaration');
      assert.equal(last.tokens.find((x) => x.text === 'model').scopes.length, 2, `${file} leaves a scope open: ${last.tokens[0].scopes.join(' ')}`);
    });
  }
});

test('the grammar file is the one the VS Code extension ships', () => {
  const a = fs.readFileSync(path.join(REPO, 'editors', 'textmate', 'eventfold.tmLanguage.json'), 'utf8');
  const b = fs.readFileSync(path.join(REPO, 'editors', 'vscode', 'syntaxes', 'eventfold.tmLanguage.json'), 'utf8');
  assert.ok(a === b, 'editors/vscode/syntaxes/eventfold.tmLanguage.json differs from editors/textmate/: copy the grammar over');
  assert.equal(JSON.parse(a).scopeName, SCOPE);
  assert.ok(vsctm.INITIAL);
});
