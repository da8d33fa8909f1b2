import test from 'node:test'
import assert from 'node:assert/strict'
import { HeldBudget } from '../../host/onion/held-budget.ts'
import type { HeldCircuit } from '../../host/onion/held-budget.ts'

/**
 * The relay-wide budget's bookkeeping (held-budget.ts), with stand-in circuits that close as a
 * relay's do: the relay forgets a closed circuit at once, and a rendezvous circuit takes its
 * peer along. The budget on a real relay is in relay-memory.test.ts.
 */

class Circuit implements HeldCircuit {
  closed = false
  peer: Circuit | null = null
  constructor(
    readonly name: string,
    public heldBytes: number,
    private readonly budget: () => HeldBudget
  ) {}
  close(): void {
    if (this.closed) return
    this.closed = true
    this.budget().forget(this)
    this.peer?.close()
  }
}

test('shedding stops once the circuits closed bring the relay under 90%, a rendezvous peer closed along counted off too', () => {
  const all: Circuit[] = []
  const budget = new HeldBudget(12, () => all.filter((c) => !c.closed))
  const make = (name: string, n: number) => {
    const c = new Circuit(name, n, () => budget)
    all.push(c)
    return c
  }
  // a and b are the two halves of a rendezvous: closing one closes both
  const a = make('a', 3)
  const c = make('c', 3)
  const d = make('d', 3)
  const b = make('b', 3)
  make('e', 2)
  a.peer = b
  b.peer = a
  for (const x of all) budget.note(x, x.heldBytes)
  assert.deepEqual(
    all.filter((x) => x.closed).map((x) => x.name),
    ['a', 'b'],
    'a and its peer b freed 6 of 14 bytes, under 90% of 12: c and d were not shed as well'
  )
  assert.equal(budget.shed, 1, 'one circuit shed (its peer went with it)')
  assert.equal(budget.count(), 8)
  assert.ok(!c.closed && !d.closed)
})

test('near the budget, a noted total that runs high is recounted at most every 10 ms, unless well over', () => {
  let now = 1000
  let recounts = 0
  const steady: Circuit = new Circuit('steady', 10, () => budget)
  const bursty: Circuit = new Circuit('bursty', 1, () => budget)
  const budget: HeldBudget = new HeldBudget(
    12,
    () => {
      recounts++
      return [steady, bursty]
    },
    () => now
  )
  budget.note(steady, 10)
  // bursty reports 3 (13 in all, over 12), but its buffers drain unseen before any recount
  for (let i = 0; i < 100; i++) budget.note(bursty, 3)
  assert.equal(recounts, 1, 'one recount for a hundred notes over the budget in the same 10 ms')
  assert.equal(budget.shed, 0, 'the recount found the relay under its budget')
  now += 10
  budget.note(bursty, 3)
  assert.equal(recounts, 2, 'another once 10 ms passed')
  budget.note(bursty, 100)
  assert.ok(recounts >= 3, 'well over the budget: recounted at once')
})
