import test from 'node:test'
import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { Duplex } from 'streamx'
import { StreamLink } from '../../host/plugins/stream-link.ts'
import type { LinkOwner } from '../../host/plugins/stream-link.ts'
import { RUNTIME_LIMITS } from '../../host/plugins/plugin-limits.ts'

function owner(): LinkOwner {
  return { out: { push() {}, pushBytes() {} } as any, counters: { bytesIn: 0, bytesOut: 0 }, inbound() {}, forget() {} }
}

for (const [name, make] of [
  ['a Node stream', () => new PassThrough()],
  ['a streamx stream (what HyperDHT gives)', () => new Duplex()]
] as const) {
  test(`a peer that keeps writing into a paused connection is cut off before host memory grows: ${name}`, async () => {
    const stream: any = make()
    const link = new StreamLink(1, stream, owner())
    link.attach()
    link.pluginPaused = true
    link.setPaused()
    const closed = new Promise<Error | undefined>((resolve) => stream.once('close', () => resolve(stream.errored ?? stream._lastError)))
    let errored: Error | null = null
    stream.on('error', (e: Error) => (errored = e))
    // what UDX does: keeps delivering whatever the pause
    const chunk = Buffer.alloc(256 * 1024)
    for (let i = 0; i * chunk.length <= RUNTIME_LIMITS.maxPausedBufferBytes + chunk.length; i++) stream.push(chunk)
    const keepAlive = setTimeout(() => {}, 10_000)
    await closed
    clearTimeout(keepAlive)
    assert.match(String((errored as Error | null)?.message), /kept sending \d+ bytes into a paused connection/)
  })
}

test('a paused connection within the limit is left alone and resumes', async () => {
  const stream = new PassThrough()
  const link = new StreamLink(1, stream, owner())
  link.attach()
  link.pluginPaused = true
  link.setPaused()
  stream.push(Buffer.alloc(1024 * 1024))
  await new Promise((r) => setTimeout(r, 300))
  assert.equal(stream.destroyed, false)
  link.pluginPaused = false
  link.setPaused()
  await new Promise((r) => setTimeout(r, 50))
  assert.equal(stream.readableLength, 0)
  link.destroy(new Error('done'))
})
