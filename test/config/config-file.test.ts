import test from 'node:test'
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { readConfig, setKey, unsetKey, validateConfig, writeConfig } from '../../host/config/config-file.ts'
import { resolveBootstrap } from '../../host/cli/env.ts'
import { withConfig } from '../../host/cli/actions/daemon.ts'
import { tempDir } from '../helpers/app-fixture.ts'
import { teardown } from '../helpers/teardown.ts'
import { cli, oneLine } from '../helpers/cli.ts'

const FILE = '/h/config.json'

/** Each bad config: [title, value, the one line expected]. */
const BAD: Array<[string, unknown, RegExp]> = [
  ['refuses a config that is not an object', [], /^CONFIG_INVALID: \/h\/config\.json \/: expected object, got a list$/],
  ['refuses an unknown top-level field', { bootstrapp: [] }, /\/: unknown field "bootstrapp"$/],
  ['refuses an unknown nested field', { relay: { max: 1 } }, /\/relay: unknown field "max"$/],
  ['refuses a bootstrap entry without a port', { bootstrap: ['10.0.0.1'] }, /\/bootstrap\/0: expected host:port, got "10\.0\.0\.1"$/],
  ['refuses a bootstrap that is a string, not a list', { bootstrap: '10.0.0.1:49737' }, /\/bootstrap: expected a list, got "10\.0\.0\.1:49737"$/],
  ['refuses a port above 65535', { port: 70000 }, /\/port: must be <= 65535, got 70000$/],
  ['refuses a port that is not whole', { port: 1.5 }, /\/port: expected a whole number, got 1\.5$/],
  ['refuses a LAN address that is not IPv4', { lan: { address: 'eth0' } }, /\/lan\/address: expected an IPv4 address such as 192\.168\.1\.10, got "eth0"$/],
  ['refuses lan.enabled that is not a boolean', { lan: { enabled: 'yes' } }, /\/lan\/enabled: expected boolean, got "yes"$/],
  [
    'refuses a relay bandwidth without a number',
    { relay: { maxBandwidth: 'fast' } },
    /\/relay\/maxBandwidth: expected bytes per second such as 512K or 8M, got "fast"$/
  ],
  ['refuses a relay key that is not a key', { relay: { use: ['abc'] } }, /\/relay\/use\/0: expected a 32-byte key as 64 hex or 52 z32 characters, got "abc"$/],
  ['refuses zero onion circuits', { onion: { maxCircuits: 0 } }, /\/onion\/maxCircuits: must be >= 1, got 0$/],
  ['refuses an onion memory budget without a number', { onion: { maxMemory: 'lots' } }, /\/onion\/maxMemory: expected bytes such as 64M or 1G, got "lots"$/],
  [
    'refuses an onion memory budget of 0',
    { onion: { maxMemory: '0' } },
    /\/onion\/maxMemory: expected bytes of at least 20M \(what one onion circuit may hold\) such as 64M or 1G, got "0"$/
  ],
  [
    'refuses an onion memory budget under what one circuit may hold',
    { onion: { maxMemory: '512K' } },
    /\/onion\/maxMemory: expected bytes of at least 20M .*, got "512K"$/
  ],
  [
    'refuses an onion memory budget too big to be a finite number',
    { onion: { maxMemory: '9'.repeat(400) } },
    /\/onion\/maxMemory: expected bytes of at least 20M .*, got "9{400}"$/
  ],
  ['refuses a serving rate under 1 KiB/s', { serving: { bytesPerSecond: 10 } }, /\/serving\/bytesPerSecond: must be >= 1024, got 10$/],
  ['refuses a metrics address without a port', { metrics: { address: 'localhost' } }, /\/metrics\/address: expected host:port, got "localhost"$/],
  [
    'refuses a web address that is not loopback',
    { web: { address: '0.0.0.0:49741' } },
    /\/web\/address: expected a loopback address .*, got "0\.0\.0\.0:49741"$/
  ],
  ['refuses a web address without a port', { web: { address: 'localhost' } }, /\/web\/address: expected host:port, got "localhost"$/],
  ['refuses an unknown log level', { logLevel: 'loud' }, /\/logLevel: expected one of "debug", "info", "warn", "error", got "loud"$/],
  ['refuses an unknown log.level', { log: { level: 'trace' } }, /\/log\/level: expected one of "debug", "info", "warn", "error", got "trace"$/],
  ['refuses log files under 4 KiB', { log: { maxBytes: 1000 } }, /\/log\/maxBytes: must be >= 4096, got 1000$/],
  ['refuses more than 100 kept log files', { log: { files: 101 } }, /\/log\/files: must be <= 100, got 101$/],
  ['refuses an unknown log setting', { log: { rotate: 'daily' } }, /\/log: unknown field "rotate"$/]
]

for (const [title, value, line] of BAD) {
  test(title, () => {
    assert.throws(
      () => validateConfig(value, FILE),
      (err: any) => err.code === 'CONFIG_INVALID' && line.test(err.message) && !err.message.includes('\n')
    )
  })
}

test('accepts every field at once', () => {
  const all = {
    bootstrap: ['10.0.0.1:49737', 'boot@example.org:49737'],
    port: 49738,
    lan: { enabled: true, address: '192.168.1.10' },
    relay: { enabled: true, port: 49739, maxConnections: 64, maxBandwidth: '8M', use: ['ab'.repeat(32)] },
    onion: { relay: true, maxCircuits: 64, maxBandwidth: '512K', maxMemory: '64MIB' },
    serving: { maxFetchesPerPeer: 2, maxFetches: 16, maxConnectionsPerPeer: 4, bytesPerSecond: 1048576, maxModuleBytes: 33554432 },
    metrics: { address: '127.0.0.1:9464' },
    log: { level: 'debug', maxBytes: 1048576, files: 0 },
    logLevel: 'warn'
  }
  assert.deepEqual(validateConfig(all, FILE), all)
})

test("set converts the value to the key's type; unset removes it and the emptied object", () => {
  let c = setKey({}, 'port', '49738', FILE)
  c = setKey(c, 'lan.enabled', 'on', FILE)
  c = setKey(c, 'bootstrap', '10.0.0.1:49737, 10.0.0.2:49737', FILE)
  assert.deepEqual(c, { port: 49738, lan: { enabled: true }, bootstrap: ['10.0.0.1:49737', '10.0.0.2:49737'] })
  assert.deepEqual(unsetKey(c, 'lan.enabled', FILE), { port: 49738, bootstrap: ['10.0.0.1:49737', '10.0.0.2:49737'] })
})

test('set refuses an unknown key and a value of the wrong type, naming the field', () => {
  assert.throws(() => setKey({}, 'relay.speed', '1', FILE), /CONFIG_INVALID: \/h\/config\.json \/relay\/speed: unknown setting "relay\.speed"/)
  assert.throws(() => setKey({}, 'port', 'abc', FILE), /\/port: expected a whole number, got "abc"/)
  assert.throws(() => setKey({}, 'lan.enabled', 'maybe', FILE), /\/lan\/enabled: expected boolean, got "maybe"/)
})

test('a file that is not JSON is one CONFIG_INVALID line naming the file', async (t) => {
  const defer = teardown(t)
  const tmp = await tempDir()
  defer(tmp.cleanup)
  const file = join(tmp.dir, 'config.json')
  assert.deepEqual(await readConfig(file), {}, 'a missing file is an empty config')
  await writeFile(file, '{ "port": ')
  await assert.rejects(readConfig(file), (err: any) => err.code === 'CONFIG_INVALID' && err.message.startsWith(`CONFIG_INVALID: ${file} /: expected JSON`))
})

test('config set with a bad value exits 2 and writes nothing', async (t) => {
  const defer = teardown(t)
  const tmp = await tempDir()
  defer(tmp.cleanup)
  const home = join(tmp.dir, 'home')
  assert.equal((await cli(home, ['config', 'set', 'port', '49738'])).code, 0)
  const before = await readFile(join(home, 'config.json'), 'utf8')
  const bad = await cli(home, ['config', 'set', 'relay.port', '70000'])
  assert.equal(bad.code, 2)
  assert.match(oneLine(bad.stderr), /^CONFIG_INVALID: .*config\.json \/relay\/port: must be <= 65535, got 70000$/)
  assert.equal(await readFile(join(home, 'config.json'), 'utf8'), before)
  const shown = await cli(home, ['config', 'show', '--json'])
  assert.deepEqual(JSON.parse(shown.stdout), { port: 49738 })
  assert.equal((await cli(home, ['config', 'unset', 'port'])).code, 0)
  assert.deepEqual(JSON.parse((await cli(home, ['config', 'show', '--json'])).stdout), {})
})

test('a broken config file stops every command that reads it with exit 2', async (t) => {
  const defer = teardown(t)
  const tmp = await tempDir()
  defer(tmp.cleanup)
  const home = join(tmp.dir, 'home')
  await writeConfig(join(home, 'config.json'), {})
  await writeFile(join(home, 'config.json'), '{"bootstrap": ["nowhere"]}')
  const r = await cli(home, ['lookup', 'ab'.repeat(32), '--timeout', '1'])
  assert.equal(r.code, 2)
  assert.match(oneLine(r.stderr), /^CONFIG_INVALID: .*config\.json \/bootstrap\/0: expected host:port, got "nowhere"$/)
})

test('bootstrap precedence: flag > HYPERNET_BOOTSTRAP > file > default', () => {
  const file = ['10.0.0.3:49737']
  const env = { HYPERNET_BOOTSTRAP: '10.0.0.2:49737' }
  assert.deepEqual(resolveBootstrap(['10.0.0.1:49737'], file, env), ['10.0.0.1:49737'])
  assert.deepEqual(resolveBootstrap(undefined, file, env), ['10.0.0.2:49737'])
  assert.deepEqual(resolveBootstrap(undefined, file, {}), ['10.0.0.3:49737'])
  assert.equal(resolveBootstrap(undefined, [], {}), undefined)
  assert.equal(resolveBootstrap(undefined, undefined, {}), undefined)
})

test('start precedence: a flag wins over the file; the file over the default; relay limits only with the relay on', () => {
  const config = { port: 49738, lan: { enabled: true }, relay: { enabled: false, maxConnections: 8 }, onion: { relay: true, maxCircuits: 32 } }
  const merged = withConfig({ port: 50000, lan: false }, config)
  assert.equal(merged.port, 50000)
  assert.equal(merged.lan, false)
  assert.equal(merged.relay, false)
  assert.equal(merged.relayMaxConnections, undefined)
  assert.equal(merged.onionRelay, true)
  assert.equal(merged.onionMaxCircuits, 32)
  const fromFile = withConfig({}, config)
  assert.equal(fromFile.port, 49738)
  assert.equal(fromFile.lan, true)
  assert.equal(withConfig({ relay: true }, config).relayMaxConnections, 8)
  assert.deepEqual(
    Object.values(withConfig({}, {})).filter((v) => v !== undefined),
    [],
    'an empty file sets nothing'
  )
})
