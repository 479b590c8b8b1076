// The VS Code extension folder: its manifest parses and names files that
// exist, and extension.js, run against stand-ins for the `vscode` and
// `vscode-languageclient` modules, starts `eventfold lsp` over stdio.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const { EDITORS, SCOPE } = require('./tokenize');

const EXT = path.join(EDITORS, 'vscode');
const manifest = () => JSON.parse(fs.readFileSync(path.join(EXT, 'package.json'), 'utf8'));

function existing(rel) {
  const p = path.resolve(EXT, rel);
  assert.ok(fs.existsSync(p), `editors/vscode/package.json names ${rel}, which does not exist`);
  return p;
}

test('package.json declares the language, its grammar and its configuration', () => {
  const pkg = manifest();
  assert.equal(typeof pkg.name, 'string');
  assert.ok(pkg.engines && pkg.engines.vscode, 'engines.vscode is required by VS Code');
  existing(pkg.main);
  assert.ok(pkg.activationEvents.includes('onLanguage:eventfold'));
  const [lang] = pkg.contributes.languages;
  assert.equal(lang.id, 'eventfold');
  assert.deepEqual(lang.extensions, ['.model']);
  const conf = JSON.parse(fs.readFileSync(existing(lang.configuration), 'utf8'));
  assert.equal(conf.comments.lineComment, '//');
  for (const [open, close] of [['{', '}'], ['[', ']'], ['(', ')']]) {
    assert.ok(conf.brackets.some(([a, b]) => a === open && b === close), `brackets lacks ${open}${close}`);
    assert.ok(conf.autoClosingPairs.some((p) => p.open === open && p.close === close), `autoClosingPairs lacks ${open}${close}`);
  }
  assert.ok(conf.autoClosingPairs.some((p) => p.open === '"' && p.close === '"'));
  new RegExp(conf.wordPattern);
  new RegExp(conf.indentationRules.increaseIndentPattern);
  new RegExp(conf.indentationRules.decreaseIndentPattern);
  const [grammar] = pkg.contributes.grammars;
  assert.equal(grammar.language, 'eventfold');
  assert.equal(grammar.scopeName, SCOPE);
  const g = JSON.parse(fs.readFileSync(existing(grammar.path), 'utf8'));
  assert.equal(g.scopeName, SCOPE);
  const setting = pkg.contributes.configuration.properties['eventfold.path'];
  assert.equal(setting.type, 'string');
  assert.equal(setting.default, 'eventfold');
  assert.ok(pkg.dependencies['vscode-languageclient'], 'vscode-languageclient must be a dependency');
  const commands = pkg.contributes.commands.map((c) => c.command);
  assert.ok(commands.includes('eventfold.restartServer'));
  const lock = JSON.parse(fs.readFileSync(path.join(EXT, 'package-lock.json'), 'utf8'));
  assert.ok(lock.packages['node_modules/vscode-languageclient'], 'package-lock.json lacks vscode-languageclient: run npm install in editors/vscode');
});

/** Loads extension.js with stand-ins; returns what it did. */
function loadExtension(settings, { failStart = false } = {}) {
  const seen = { clients: [], commands: {}, errors: [], configListeners: [], watchers: [] };
  class LanguageClient {
    constructor(id, name, serverOptions, clientOptions) {
      this.args = { id, name, serverOptions, clientOptions };
      this.started = 0;
      this.stopped = 0;
      seen.clients.push(this);
    }
    async start() {
      this.started++;
      if (failStart) throw new Error('spawn eventfold ENOENT');
    }
    async stop() {
      this.stopped++;
    }
  }
  const vscode = {
    workspace: {
      getConfiguration: (section) => {
        assert.equal(section, 'eventfold');
        return { get: (key) => settings[key] };
      },
      createFileSystemWatcher: (glob) => {
        seen.watchers.push(glob);
        return { glob, dispose() {} };
      },
      onDidChangeConfiguration: (fn) => {
        seen.configListeners.push(fn);
        return { dispose() {} };
      },
    },
    commands: {
      registerCommand: (name, fn) => {
        seen.commands[name] = fn;
        return { dispose() {} };
      },
    },
    window: { showErrorMessage: (msg) => seen.errors.push(msg) },
  };
  const fakes = { vscode, 'vscode-languageclient/node': { LanguageClient, TransportKind: { stdio: 0, ipc: 1, pipe: 2, socket: 3 } } };
  const file = path.join(EXT, 'extension.js');
  const original = Module._load;
  Module._load = function (request, parent, isMain) {
    if (Object.prototype.hasOwnProperty.call(fakes, request)) return fakes[request];
    return original.call(this, request, parent, isMain);
  };
  try {
    delete require.cache[require.resolve(file)];
    return { ext: require(file), seen };
  } finally {
    Module._load = original;
  }
}

test('extension.js starts `eventfold lsp` over stdio for eventfold files', async () => {
  const { ext, seen } = loadExtension({ path: undefined });
  const context = { subscriptions: [] };
  await ext.activate(context);
  assert.equal(seen.clients.length, 1);
  const [client] = seen.clients;
  assert.equal(client.started, 1);
  assert.deepEqual(client.args.serverOptions.run, { command: 'eventfold', args: ['lsp'], transport: 0 });
  assert.deepEqual(client.args.serverOptions.debug, client.args.serverOptions.run);
  assert.ok(client.args.clientOptions.documentSelector.every((d) => d.language === 'eventfold'));
  assert.ok(client.args.clientOptions.documentSelector.some((d) => d.scheme === 'file'));
  assert.deepEqual(seen.watchers, ['**/*.model']);
  assert.equal(context.subscriptions.length, 2);
  assert.deepEqual(seen.errors, []);
  await ext.deactivate();
  assert.equal(client.stopped, 1);
});

test('extension.js runs the binary that eventfold.path names, and restarts when it changes', async () => {
  const settings = { path: '  /opt/eventfold/bin/eventfold ' };
  const { ext, seen } = loadExtension(settings);
  await ext.activate({ subscriptions: [] });
  assert.equal(seen.clients[0].args.serverOptions.run.command, '/opt/eventfold/bin/eventfold');
  settings.path = '/usr/local/bin/eventfold';
  await seen.configListeners[0]({ affectsConfiguration: (s) => s === 'eventfold.path' });
  assert.equal(seen.clients[0].stopped, 1);
  assert.equal(seen.clients.length, 2);
  assert.equal(seen.clients[1].args.serverOptions.run.command, '/usr/local/bin/eventfold');
  await seen.configListeners[0]({ affectsConfiguration: () => false });
  assert.equal(seen.clients.length, 2, 'another setting does not restart the server');
  await seen.commands['eventfold.restartServer']();
  assert.equal(seen.clients.length, 3);
  assert.equal(seen.clients[1].stopped, 1);
  await ext.deactivate();
});

test('extension.js says what to do when the binary cannot start', async () => {
  const { ext, seen } = loadExtension({ path: '' }, { failStart: true });
  await ext.activate({ subscriptions: [] });
  assert.equal(seen.clients[0].args.serverOptions.run.command, 'eventfold');
  assert.equal(seen.errors.length, 1);
  assert.match(seen.errors[0], /eventfold lsp/);
  assert.match(seen.errors[0], /cargo install --path cli/);
  assert.match(seen.errors[0], /eventfold\.path/);
  await ext.deactivate();
  assert.equal(seen.clients[0].stopped, 0, 'a client that never started is not stopped');
});
