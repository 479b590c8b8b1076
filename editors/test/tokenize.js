// Loads the eventfold TextMate grammar with the same engine VS Code uses
// (vscode-textmate on the Oniguruma regex library) and tokenizes text.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const vsctm = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

const EDITORS = path.resolve(__dirname, '..');
const REPO = path.resolve(EDITORS, '..');
const GRAMMAR = path.join(EDITORS, 'textmate', 'eventfold.tmLanguage.json');
const SCOPE = 'source.eventfold';

let loaded;

/** The grammar, loaded once. */
function grammar() {
  if (!loaded) {
    const wasm = fs.readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
    const onigLib = oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength)).then(() => ({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }));
    const registry = new vsctm.Registry({
      onigLib,
      loadGrammar: async (scopeName) =>
        scopeName === SCOPE ? vsctm.parseRawGrammar(fs.readFileSync(GRAMMAR, 'utf8'), GRAMMAR) : null,
    });
    loaded = registry.loadGrammar(SCOPE).then((g) => {
      if (!g) throw new Error(`${GRAMMAR} did not load as ${SCOPE}`);
      return g;
    });
  }
  return loaded;
}

/**
 * Tokenizes `text`. Returns one entry per line: { line, text, tokens }, each
 * token { text, start, end, scopes } (scopes outermost first), and the rule
 * stack left after the last line.
 */
async function tokenize(text) {
  const g = await grammar();
  let stack = vsctm.INITIAL;
  const lines = text.split(/\r?\n/).map((lineText, i) => {
    const r = g.tokenizeLine(lineText, stack);
    stack = r.ruleStack;
    const tokens = r.tokens.map((t) => ({
      text: lineText.slice(t.startIndex, Math.min(t.endIndex, lineText.length)),
      start: t.startIndex,
      end: t.endIndex,
      scopes: t.scopes,
    }));
    return { line: i + 1, text: lineText, tokens };
  });
  return { lines, stack };
}

/** Every `*.model` file under `dir`, recursively (node_modules and target skipped). */
function modelFiles(dir) {
  const out = [];
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'target' && !entry.name.startsWith('.')) out.push(...modelFiles(p));
    } else if (entry.name.endsWith('.model')) {
      out.push(p);
    }
  }
  return out.sort();
}

module.exports = { tokenize, modelFiles, EDITORS, REPO, GRAMMAR, SCOPE, vsctm };
