// The package from an ES module: named imports of every export.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Domain, Engine, EventfoldError, RejectedError, InternalError, errors, parseJson, stringifyJson } from 'eventfold'

test('named imports work from ES modules', async () => {
  const domain = Domain.compile('model C {\n  state { n: int }\n  command bump() { reject full "full" if n >= 1\n emit bumped() }\n  event bumped() { set n = n + 1 }\n}\n')
  const engine = await Engine.open('memory:', domain)
  assert.equal((await engine.execute('C', '1', { type: 'bump' })).version, 1)
  await assert.rejects(engine.execute('C', '1', { type: 'bump' }), (e) => e instanceof RejectedError && e instanceof EventfoldError)
  await engine.close()
  assert.equal(errors.InternalError, InternalError)
  assert.equal(parseJson(stringifyJson({ n: 2n ** 64n })).n, 2n ** 64n)
})
