import { copyFile, mkdtemp, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Testnet } from 'hyperdht/testnet.js'
import { verifyApp } from '../../host/audit/audit-app.ts'
import { homePaths } from '../../host/home.ts'
import { createLogger } from '../../host/log/logger.ts'
import type { LoggerInit } from '../../host/log/logger.ts'
import { generateKeyPair } from '../../host/manifest/signing.ts'
import type { KeyPair } from '../../host/manifest/signing.ts'
import { signApp } from '../../host/manifest/sign-app.ts'
import { createAppStore } from '../../host/store/app-store.ts'
import { startHost } from './hosts.ts'
import type { TestHost } from './hosts.ts'

/**
 * Hosts running the hostile fixture (test/fixtures/plugins/hostile.ts): a signed install into
 * a fresh home, a real host with a debug-level log file (as the daemon writes it), and a way
 * to read how many bytes that log holds. Shared by the test and bench/hostile.ts.
 */

const FIXTURE = fileURLToPath(new URL('../../build/fixtures/hostile.wasm', import.meta.url))
const DRAFT = fileURLToPath(new URL('../fixtures/plugins/hostile.draft.json', import.meta.url))

export interface HostileHost extends TestHost {
  logFile: string
  logBytes(): Promise<number>
}

/** Sign the fixture with `keyPair` and install it into `home`. */
export async function installHostile(home: string, keyPair: KeyPair): Promise<void> {
  const wasmFile = join(home, 'hostile.wasm')
  await copyFile(FIXTURE, wasmFile)
  const { file } = await signApp({ wasmFile, draft: DRAFT, keyPair })
  const v = await verifyApp({ wasmFile, manifestFile: file })
  const store = createAppStore({ dir: homePaths(home).store })
  await store.ready()
  await store.install(v.manifest, v.wasm)
}

/** A host in a fresh home on `testnet`, running the hostile fixture; `log` adds to its debug-level log file's settings (rotation). */
export async function startHostileHost(testnet: Testnet, keyPair: KeyPair = generateKeyPair(), log: LoggerInit = {}): Promise<HostileHost> {
  const home = await mkdtemp(join(tmpdir(), 'hn-hostile-'))
  await installHostile(home, keyPair)
  const logFile = join(home, 'host.log')
  const logger = createLogger({ file: logFile, ...log })
  const h = await startHost(testnet, home, { logger })
  return {
    ...h,
    async close() {
      await h.close()
      await logger.close()
    },
    logFile,
    async logBytes() {
      try {
        return (await stat(logFile)).size
      } catch {
        return 0
      }
    }
  }
}
