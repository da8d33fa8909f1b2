import test from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { openStream, plainClient, readBytes, testnetWithHost } from '../helpers/hosts.ts'
import { teardown } from '../helpers/teardown.ts'

/**
 * The web page in a real browser: Debian's Chromium, headless, driven by playwright-core (no
 * browser of its own). Asserts what a user sees, by role and text, not the page's internals.
 */

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter((p): p is string =>
  Boolean(p)
)
const chromium = CANDIDATES.find((p) => existsSync(p))
const require = createRequire(import.meta.url)
const hasDriver = ['playwright-core', 'axe-core'].every((m) => {
  try {
    require.resolve(`${m}/package.json`)
    return true
  } catch {
    return false
  }
})
const skip = !chromium
  ? 'no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)'
  : !hasDriver
    ? 'playwright-core or axe-core not installed (npm install)'
    : false

/** axe-core's WCAG 2 A/AA violations on the page now, each as rule and the elements it found. */
async function axeViolations(page: Page): Promise<Array<{ id: string; nodes: string[] }>> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: require.resolve('axe-core/axe.min.js') })
  return page.evaluate(async () => {
    const r = await (window as any).axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })
    return r.violations.map((v: any) => ({ id: v.id, nodes: v.nodes.map((n: any) => n.html) }))
  })
}

test('web page: a user sees the installed app, a connection appear and go, and nothing without the token', { skip }, async (t) => {
  const defer = teardown(t)
  const { chromium: driver } = await import('playwright-core')
  const { testnet, h } = await testnetWithHost(defer, ['echo'], { web: { host: '127.0.0.1', port: 0, sampleMs: 300 } })
  const web = h.host.web!
  // no sandbox: CI runs as root, where Chromium's sandbox refuses to start
  const browser = await driver.launch({ executablePath: chromium, args: ['--no-sandbox'] })
  defer(() => browser.close())
  // bypassCSP: only so the accessibility checker (axe-core) can be added to the page below
  const page = await browser.newPage({ viewport: { width: 1280, height: 1000 }, permissions: ['clipboard-read', 'clipboard-write'], bypassCSP: true })
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))

  await page.goto(web.url)
  await page.getByText('Live: updates every second').waitFor()
  assert.equal(page.url(), `${web.origin}/`, 'the token is taken out of the address bar')

  // the echo app and its service, with copy buttons that say what they copy
  const apps = page.getByRole('table').filter({ has: page.getByRole('columnheader', { name: 'Version' }) })
  await apps.getByRole('row', { name: /echo .* running/ }).waitFor()
  const svc = h.host.status().services.find((s) => s.app === 'echo')!
  await page.getByRole('button', { name: 'Copy service hash of echo/echo' }).waitFor()
  await page.getByRole('button', { name: 'Copy service key of echo/echo' }).waitFor()
  await page.getByRole('button', { name: 'Copy service hash of echo/echo' }).click()
  await page.getByText('✓ copied').waitFor()
  await page.getByText('service hash of echo/echo copied').waitFor({ state: 'attached' })
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), svc.hash, 'the whole hash is copied')
  assert.equal(await page.getByTitle(svc.hash).count(), 1, 'the whole hash is at hand')
  await page.getByText('No connection is open.').waitFor()

  // a client connects: its row appears, with its peer and its path; the keyboard focus stays where it was
  await page.getByRole('button', { name: 'Copy service key of echo/echo' }).focus()
  const dht = plainClient(testnet)
  defer(() => dht.destroy())
  const s = await openStream(dht, svc.key)
  defer(() => s.destroy())
  s.write(Buffer.from('hello page'))
  await readBytes(s, 10)
  const peer = dht.defaultKeyPair.publicKey.toString('hex')
  const conns = page.getByRole('table').filter({ has: page.getByRole('columnheader', { name: 'In per second' }) })
  const row = conns.getByRole('row').filter({ has: page.getByTitle(peer) })
  await row.waitFor()
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), 'Copy service key of echo/echo', 'updates keep the focus')
  assert.match((await row.innerText()).replace(/\s+/g, ' '), /^echo\/echo .* direct /)
  await page.getByText('1 apps, 1 services, 1 connections open').waitFor()
  // the graphs draw it (samples every 300 ms here, 10 s by default), in words too
  await page.getByRole('img', { name: 'Open connections' }).waitFor()
  await page.getByText('Last hour: connections: now 1, highest 1.').waitFor()
  await page.getByText(/^Last hour: received: now .*, highest [1-9][\d.]* (B|KiB); sent: /).waitFor()
  // every table, button, graph and live region full: axe-core's WCAG 2 A and AA rules, light and dark
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme })
    const violations = await axeViolations(page)
    assert.deepEqual(violations, [], `${colorScheme}: ${JSON.stringify(violations, null, 1)}`)
  }
  await page.emulateMedia({ colorScheme: 'light' })
  const shot = join(tmpdir(), 'hypernet-web-page.png')
  await page.screenshot({ path: shot, fullPage: true })
  t.diagnostic(`screenshot: ${shot}`)

  // it closes: the row goes
  s.destroy()
  await row.waitFor({ state: 'detached' })
  await page.getByText('No connection is open.').waitFor()
  await page.getByText('1 apps, 1 services, 0 connections open').waitFor()
  assert.deepEqual(errors, [])

  // a new tab without the token: no data, the page says what to open; the API refuses it too
  const other = await browser.newPage()
  await other.goto(`${web.origin}/`)
  await other.getByRole('heading', { name: 'A token is needed' }).waitFor()
  assert.equal(await other.getByText('echo/echo').count(), 0)
  const refused = await other.evaluate(async () => {
    const r = await fetch('/api/status')
    return { status: r.status, body: await r.text() }
  })
  assert.equal(refused.status, 401)
  assert.doesNotMatch(refused.body, /echo/)
})
