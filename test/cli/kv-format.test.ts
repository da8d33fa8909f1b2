import assert from 'node:assert/strict'
import test from 'node:test'
import { formatList } from '../../host/cli/actions/kv-format.ts'
import type { ListEntry } from '../../host/kv/index.ts'

const row = (over: Partial<ListEntry>): ListEntry => ({
  role: 'owned',
  address: 'ab'.repeat(32),
  kind: 'mutable',
  key: 'greeting',
  owner: 'cd'.repeat(32),
  seq: 1,
  state: 'value',
  signer: null,
  size: 5,
  updatedAt: '2026-12-05T00:00:00.000Z',
  lastRepair: null,
  copies: 3,
  ...over
})

test('kv ls: one key name owned under two keys reads as two rows that say whose each is', () => {
  const lines = formatList([
    row({}),
    row({ address: 'ef'.repeat(32), owner: '12'.repeat(32), signer: 'publisher' }),
    row({ role: 'pinned', address: '34'.repeat(32), owner: '56'.repeat(32) }),
    row({ kind: 'immutable', key: null, owner: null, address: '78'.repeat(32) })
  ])
  assert.match(lines[0], /key \(whose\) \/ size/)
  assert.match(lines[1], /  greeting \(key host\)  5 B  copies 3  not yet repaired$/)
  assert.match(lines[2], /  greeting \(key publisher\)  5 B/)
  assert.match(lines[3], /^pinned .*  greeting \(owner 56565656…5656\)  5 B/)
  assert.match(lines[4], /  \(content\)  5 B/)
})
