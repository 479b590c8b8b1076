'use strict'
// Builds the native addon with cargo and puts it beside index.js.
// `node build.js --release`: an optimised one, eventfold.<platform>.node,
// which index.js loads. `node build.js`: a debug one, for the tests,
// eventfold.<platform>.debug.node, which index.js loads only when
// EVENTFOLD_NATIVE names it (so an `npm install <this folder>` never runs
// a debug addon unawares). Prints the addon's path on its last line.
const { execFileSync } = require('node:child_process')
const fs = require('node:fs')
const path = require('node:path')

const release = process.argv.includes('--release')
const root = path.resolve(__dirname, '..', '..')
const args = ['build', '-p', 'eventfold-node', ...(release ? ['--release'] : [])]
execFileSync(process.env.CARGO || 'cargo', args, { cwd: root, stdio: 'inherit' })

const targetDir = process.env.CARGO_TARGET_DIR ? path.resolve(root, process.env.CARGO_TARGET_DIR) : path.join(root, 'target')
const lib = { darwin: 'libeventfold_node.dylib', win32: 'eventfold_node.dll' }[process.platform] || 'libeventfold_node.so'
let abi = ''
if (process.platform === 'linux') abi = process.report.getReport().header.glibcVersionRuntime ? '-gnu' : '-musl'
else if (process.platform === 'win32') abi = '-msvc'
const out = path.join(__dirname, `eventfold.${process.platform}-${process.arch}${abi}${release ? '' : '.debug'}.node`)
// Copy to a temporary name and rename, so a running process never loads a half-written file.
fs.copyFileSync(path.join(targetDir, release ? 'release' : 'debug', lib), `${out}.tmp`)
fs.renameSync(`${out}.tmp`, out)
console.log(`built ${release ? 'an optimised' : 'a debug'} addon${release ? '' : ' (load it with EVENTFOLD_NATIVE=<path>)'}:`)
console.log(out)
