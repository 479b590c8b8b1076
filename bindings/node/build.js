'use strict'
// Builds the native addon with cargo and puts it where index.js looks for it:
// eventfold.<platform>-<arch>[-abi].node beside this file.
// `node build.js` for a debug build, `node build.js --release` for an optimised one.
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
const out = path.join(__dirname, `eventfold.${process.platform}-${process.arch}${abi}.node`)
// Copy to a temporary name and rename, so a running process never loads a half-written file.
fs.copyFileSync(path.join(targetDir, release ? 'release' : 'debug', lib), `${out}.tmp`)
fs.renameSync(`${out}.tmp`, out)
console.log(`built ${path.relative(process.cwd(), out)}${release ? ' (release)' : ''}`)
