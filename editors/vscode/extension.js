// The eventfold extension: the language (highlighting, comments, brackets)
// comes from package.json; this file starts `eventfold lsp` over stdio and
// hands it the model files of the workspace.
'use strict';

const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

/** The client of the running server, or undefined. */
let client;

/** How to run the server, from the `eventfold.path` setting. */
function serverOptions(config) {
  const setting = config.get('path');
  const command = typeof setting === 'string' && setting.trim() !== '' ? setting.trim() : 'eventfold';
  const run = { command, args: ['lsp'], transport: TransportKind.stdio };
  return { run, debug: run };
}

function clientOptions() {
  return {
    documentSelector: [
      { scheme: 'file', language: 'eventfold' },
      { scheme: 'untitled', language: 'eventfold' },
    ],
    synchronize: {
      // Model files changed outside the editor (git checkout, a generator)
      // are part of the domain too.
      fileEvents: vscode.workspace.createFileSystemWatcher('**/*.model'),
    },
  };
}

async function start() {
  const options = serverOptions(vscode.workspace.getConfiguration('eventfold'));
  const next = new LanguageClient('eventfold', 'eventfold language server', options, clientOptions());
  client = next;
  try {
    await next.start();
  } catch (err) {
    if (client === next) client = undefined;
    const reason = err && err.message ? err.message : String(err);
    vscode.window.showErrorMessage(
      `eventfold: could not start \`${options.run.command} lsp\` (${reason}). ` +
        'Install the binary with `cargo install --path cli` from the eventfold repository, ' +
        'or point the setting `eventfold.path` at it.'
    );
  }
}

async function stop() {
  const running = client;
  client = undefined;
  if (running) {
    try {
      await running.stop();
    } catch (_) {
      // A server that never started, or already died, has nothing to stop.
    }
  }
}

async function restart() {
  await stop();
  await start();
}

function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand('eventfold.restartServer', restart),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('eventfold.path')) return restart();
      return undefined;
    })
  );
  return start();
}

function deactivate() {
  return stop();
}

module.exports = { activate, deactivate };
