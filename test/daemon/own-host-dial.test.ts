import assert from 'node:assert/strict'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import type { SecretStream } from 'hyperdht'
import { installExamples } from '../../host/demo/install-examples.ts'
import type { DialTarget } from '../../host/plugins/index.ts'
import { readBytes, removeHome, startHost } from '../helpers/hosts.ts'
import { startTestnet } from '../helpers/testnet.ts'
import { teardown } from '../helpers/teardown.ts'

/**
 * A plugin's dial by service hash goes to other hosts first, but a service of another app that
 * only this host runs is still reached (a proxy in front of a local app): it was refused with
 * "no host-vouched peer vends service …" although `lookup` listed this host. The dialing app's
 * own services are not reached this way (self/<service> names its other instances).
 */
test("a plugin's dial by hash reaches another app that only this host runs, never the dialing app's own service", async (t) => {
  const defer = teardown(t)
  const testnet = await startTestnet(10)
  defer(() => testnet.destroy())
  const home = await mkdtemp(join(tmpdir(), 'hn-own-dial-'))
  defer(() => removeHome(home))
  await installExamples(home, ['echo'])
  const h = await startHost(testnet, home)
  defer(() => h.close())
  const echo = h.host.status().services.find((s) => s.app === 'echo')!
  const target: DialTarget = { raw: echo.hash, serviceHash: Buffer.from(echo.hash, 'hex'), serviceKey: null, self: null }

  const s = (await h.host.parts.dialer.dial(target, 'proxy', AbortSignal.timeout(15_000))) as SecretStream
  s.write('via my own host')
  assert.equal((await readBytes(s, 15)).toString(), 'via my own host')
  s.destroy()

  await assert.rejects(h.host.parts.dialer.dial(target, 'echo', AbortSignal.timeout(15_000)), { code: 'NOT_FOUND' })
})
