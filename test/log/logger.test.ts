import test from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { createLogger } from '../../host/log/logger.ts'
import { tempDir } from '../helpers/app-fixture.ts'
import { teardown } from '../helpers/teardown.ts'

test('the logger writes one JSON object a line to its file and readable lines to a terminal, by level', async (t) => {
  const tmp = await tempDir()
  teardown(t)(tmp.cleanup)
  const file = join(tmp.dir, 'logs', 'host.log')
  const term = new PassThrough()
  let seen = ''
  term.on('data', (d) => (seen += d))
  const log = createLogger({ file, fileLevel: 'debug', terminal: term, terminalLevel: 'info' }).child({ app: 'echo' })
  log.debug('quiet detail', { n: 1 })
  log.warn('something odd', { key: Buffer.from([0xab, 0xcd]) })
  const lines = (await readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
  assert.deepEqual(
    lines.map((l) => [l.level, l.msg, l.app]),
    [
      ['debug', 'quiet detail', 'echo'],
      ['warn', 'something odd', 'echo']
    ]
  )
  assert.equal(lines[1].key, 'abcd')
  assert.ok(!Number.isNaN(Date.parse(lines[0].time)))
  assert.doesNotMatch(seen, /quiet detail/)
  assert.match(seen, /WARN {2}something odd {2}app=echo key="abcd"/)
})
