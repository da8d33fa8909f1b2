import test from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULTS, parseBenchArgs } from '../../bench/args.ts'
import { formatReport, formatReportMarkdown } from '../../bench/index.ts'
import { runBench } from '../../bench/run.ts'
import { formatMarkdown, row } from '../../bench/table.ts'

/**
 * Keeps the benchmark harness from rotting: every row runs with tiny sizes (--quick) and must
 * come back with numbers and a target. Timings are never asserted: this machine is shared.
 */

test('the quick bench runs every row and reports a number and a target for each', async () => {
  const report = await runBench(parseBenchArgs(['--quick']))
  const ids = report.rows.map((r) => r.id)
  for (const id of [
    '1a',
    '1b',
    '2',
    '3',
    '4a',
    '5a',
    '5b',
    '6a',
    '6b',
    '7a',
    '7b',
    '7c',
    '7d',
    '8',
    '10a',
    '10b',
    '10c',
    '10d',
    '10e',
    '14a',
    '14b',
    '15a',
    '15b',
    '15c',
    '15d',
    '15e'
  ])
    assert.ok(ids.includes(id), `row ${id} is in ${ids.join(' ')}`)
  for (const r of report.rows) {
    assert.ok(Number.isFinite(r.project), `row ${r.id} has a figure (${r.project})`)
    assert.ok(r.targetText.length > 0, `row ${r.id} states its target`)
    if (['1a', '1b', '2', '3', '4a', '7b', '7c', '7d', '10a', '10b', '10c', '10d', '10e', '14a', '14b', '16a', '16b'].includes(r.id)) {
      assert.ok(r.raw !== null && Number.isFinite(r.raw), `row ${r.id} has a raw HyperDHT figure from the same run`)
    }
    if (r.target.kind !== 'none') assert.equal(typeof r.met, 'boolean', `row ${r.id} says whether its target is met`)
  }
  assert.equal(report.rows.find((r) => r.id === '7a')!.project, 0, 'no scale client failed')
  const text = formatReport(report)
  assert.match(text, /^hypernet bench, /)
  for (const head of ['hypernet', 'raw HyperDHT', 'ratio', 'target', 'met']) assert.ok(text.includes(head), `the table has a ${head} column`)
  assert.equal(formatMarkdown(report.rows).split('\n').length, report.rows.length + 2)
  assert.match(
    formatReportMarkdown(report, 'npm run bench -- --quick'),
    /^Measured \d{4}-\d\d-\d\d with `npm run bench -- --quick`[^\n]*\n\n\| # \| measure \|/
  )
  assert.doesNotThrow(() => JSON.parse(JSON.stringify(report)))
})

test('rows 1-3 also run from a client in a process of its own', async () => {
  const report = await runBench(parseBenchArgs(['--quick', '--only', '1,2,3', '--client-process']))
  assert.deepEqual(
    report.rows.map((r) => r.id),
    ['1a', '1b', '2', '3']
  )
  for (const r of report.rows) assert.ok(Number.isFinite(r.project) && r.raw !== null && Number.isFinite(r.raw), `row ${r.id} has both figures`)
})

test('bench options: defaults, quick sizes, explicit flags win, bad values are named', () => {
  assert.deepEqual(parseBenchArgs([]), DEFAULTS)
  const q = parseBenchArgs(['--quick', '--clients', '7', '--sizes', '10,20', '--json'])
  assert.equal(q.quick, true)
  assert.equal(q.clients, 7)
  assert.deepEqual(q.sizes, [10, 20])
  assert.equal(q.json, true)
  assert.ok(q.rounds < DEFAULTS.rounds)
  assert.throws(() => parseBenchArgs(['--rounds', 'zero']), /--rounds: expected a positive number, got "zero"/)
  assert.throws(() => parseBenchArgs(['--clients']), /--clients: expected a value/)
  assert.throws(() => parseBenchArgs(['--fast']), /unknown option "--fast"/)
})

test('a row judges its target from its figures', () => {
  const r = row({ id: '3', measure: 'rtt', unit: 'ms', project: 0.12, raw: 0.1, target: { kind: 'ratio-max', value: 1.2 }, rounds: 1 })
  assert.equal(r.ratio!.toFixed(2), '1.20')
  assert.equal(r.met, true)
  assert.equal(row({ id: '2', measure: 'c', unit: 'ms', project: 7.5, raw: 5, target: { kind: 'over-max', value: 2 }, rounds: 1 }).met, false)
  assert.equal(row({ id: '6', measure: 'm', unit: 'MB', project: 9, target: { kind: 'max', value: 8 }, rounds: 1 }).met, false)
  assert.equal(row({ id: '8', measure: 'i', unit: 'ms', project: 9, target: { kind: 'none' }, rounds: 1 }).met, null)
})
