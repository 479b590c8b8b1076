// A user's first TypeScript, against the installed npm tarballs
// (packaging/test.sh): checked by tsc --strict, then run.
import { Domain, Engine, RejectedError } from 'eventfold'

async function main(model: string, store: string): Promise<void> {
  const domain = Domain.fromFiles(model)
  const engine = await Engine.open(store, domain)
  try {
    await engine.execute('Todos', 'home', { type: 'create-new', data: { id: 'a', text: 'Buy milk' } })
    await engine.execute('Todos', 'home', { type: 'create-new', data: { id: 'b', text: 'Call mum' } })
    try {
      await engine.execute('Todos', 'home', { type: 'create-new', data: { id: 'a', text: 'Again' } })
    } catch (e) {
      if (!(e instanceof RejectedError)) throw e
      console.log(`rejected: ${e.reason}`)
    }
    const remaining: unknown = await engine.query('Todos', 'home', 'remaining')
    console.log(`remaining: ${String(remaining)}`)
  } finally {
    await engine.close()
  }
  console.log(`eventfold from ${require.resolve('eventfold')}`)
}

main(process.argv[2], process.argv[3]).catch((e: unknown) => {
  console.error(e)
  process.exit(1)
})
