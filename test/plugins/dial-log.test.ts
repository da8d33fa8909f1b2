import test from 'node:test'
import assert from 'node:assert/strict'
import { ConnectionTable } from '../../host/plugins/connection-table.ts'
import { FROM_WORKER } from '../../host/plugins/protocol.ts'
import type { DialTargetWire } from '../../host/plugins/protocol.ts'
import { HypernetError } from '../../host/errors.ts'

test('a plugin that keeps dialing an unreachable target logs the failure once at info, then at debug', { timeout: 10_000 }, async () => {
  const lines: Array<[string, string]> = []
  const table = new ConnectionTable({
    app: { name: 'chat', codeHash: '00'.repeat(32) },
    out: { push() {}, pushBytes() {} },
    dial: async () => {
      throw HypernetError.NOT_FOUND('no verified peer vends self/chat')
    },
    counters: { bytesIn: 0, bytesOut: 0 },
    log: (level, _kind, msg) => lines.push([level, msg])
  })
  const wire: DialTargetWire = { raw: 'self/chat', serviceHash: 'ab'.repeat(32), serviceKey: null, self: 'chat' }
  for (let conn = 2; conn <= 8; conn += 2) {
    table.onOp(FROM_WORKER.CONNECT, conn, wire)
    await new Promise((r) => setImmediate(r))
  }
  assert.deepEqual(lines.map(([level]) => level), ['info', 'debug', 'debug', 'debug'])
  assert.equal(lines[0][1], 'hn_connect to "self/chat" failed: NOT_FOUND: no verified peer vends self/chat (repeats are logged at debug level until it succeeds)')
  assert.equal(lines[1][1], 'hn_connect to "self/chat" failed: NOT_FOUND: no verified peer vends self/chat')
})
