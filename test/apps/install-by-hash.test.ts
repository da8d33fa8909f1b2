import test from 'node:test'
import assert from 'node:assert/strict'
import { installFromNetwork } from '../../host/apps/index.ts'
import type { ConsentRequest } from '../../host/apps/index.ts'
import { serviceHash } from '../../host/manifest/hashes.ts'
import { openStream, plainClient, readBytes, startHost } from '../helpers/hosts.ts'
import { testnetWithHost } from '../helpers/hosts.ts'
import { teardown } from '../helpers/teardown.ts'
import { removeHome } from '../helpers/hosts.ts'

test('a second host installs echo by its code hash from the host that runs it, and echo answers from there', { timeout: 90_000 }, async (t) => {
  const defer = teardown(t)
  const { testnet, h: a } = await testnetWithHost(defer, ['echo'])
  const echo = a.host.status().apps.find((x) => x.name === 'echo')!
  const b = await startHost(testnet)
  defer(() => removeHome(b.home))
  defer(() => b.close())

  const asked: ConsentRequest[] = []
  const progress: number[] = []
  const result = await installFromNetwork(
    { dht: b.host.dht!, store: b.host.store, trusted: new Set() },
    {
      hash: Buffer.from(echo.codeHash, 'hex'),
      consent: async (req) => {
        asked.push(req)
        return true
      },
      onProgress: (got) => progress.push(got)
    }
  )
  assert.equal(result.status, 'installed')
  assert.equal(result.app.codeHash, echo.codeHash)
  assert.equal(asked.length, 1, 'asked once, before fetching the code')
  assert.equal(asked[0].hosts, 1)
  assert.equal(asked[0].release.manifest.app.name, 'echo')
  assert.ok(asked[0].release.report.permissions.length > 0, 'the prompt has the permissions to show')
  assert.equal(progress.at(-1), (await b.host.store.list())[0] && result.release.size)

  // the installed app runs on B and answers there
  await b.host.sync()
  const svc = b.host.status().services.find((s) => s.app === 'echo')!
  assert.equal(svc.hash, serviceHash(echo.codeHash, 'echo').toString('hex'))
  assert.notEqual(svc.key, a.host.status().services.find((s) => s.app === 'echo')!.key)
  const client = plainClient(testnet)
  defer(() => client.destroy())
  const s = await openStream(client, svc.key)
  s.write('hello from b')
  assert.equal((await readBytes(s, 12)).toString(), 'hello from b')
  s.destroy()

  // A counted what it served
  assert.equal(a.host.status().serving!.bytesServed, result.release.size)
})
