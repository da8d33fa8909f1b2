import { readFileSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { uleb } from '../../host/util/leb128.ts'
import { exampleFiles } from '../../host/demo/install-examples.ts'
import { formatId } from '../../host/encoding/ids.ts'
import { codeHash } from '../../host/manifest/hashes.ts'
import { signManifest } from '../../host/manifest/signing.ts'
import type { KeyPair } from '../../host/manifest/signing.ts'
import type { Manifest } from '../../host/manifest/types.ts'
import { createAppStore } from '../../host/store/app-store.ts'
import { homePaths } from '../../host/home.ts'

/**
 * Signed releases of the echo example, built in memory: each `variant` is the real echo module
 * with a custom section that makes its code hash its own (padded to `bytes` when asked), signed
 * by `keyPair` with the draft's fields overridden. They run like echo.
 */

export interface Release {
  manifest: Manifest
  wasm: Buffer
  codeHash: string
}

const ECHO = readFileSync(exampleFiles('echo').wasm)
const DRAFT = JSON.parse(readFileSync(exampleFiles('echo').draft, 'utf8'))

/** Echo with a custom section named "variant" holding `tag`, padded to at least `bytes`. */
export function echoVariant(tag: string, bytes = 0): Buffer {
  const name = Buffer.from('variant')
  const pad = Math.max(0, bytes - ECHO.length - 16)
  const body = Buffer.concat([Buffer.from(uleb(name.length)), name, Buffer.from(tag), Buffer.alloc(pad)])
  return Buffer.concat([ECHO, Buffer.from([0]), Buffer.from(uleb(body.length)), body])
}

/** A signed release of echo (or of `name`, same code) by `keyPair`. */
export function release(
  keyPair: KeyPair,
  opts: { version?: string; tag?: string; bytes?: number; name?: string; extra?: Partial<Manifest>; wasm?: Buffer } = {}
): Release {
  const wasm = opts.wasm ?? echoVariant(opts.tag ?? opts.version ?? 'v', opts.bytes)
  const hash = formatId(codeHash(wasm))
  const body = {
    ...DRAFT,
    app: { ...DRAFT.app, name: opts.name ?? 'echo', version: opts.version ?? '0.1.0' },
    code: { ...DRAFT.code, hash },
    publisher: keyPair.publicKey.toString('hex'),
    ...opts.extra
  }
  delete body.signature
  return { manifest: signManifest(body, keyPair), wasm, codeHash: hash }
}

/** A fresh temp home with these releases installed (as a publisher's host would have them). */
export async function homeWith(releases: Release[], home?: string): Promise<string> {
  const dir = home ?? (await mkdtemp(join(tmpdir(), 'hn-rel-')))
  const store = createAppStore({ dir: homePaths(dir).store })
  await store.ready()
  for (const r of releases) await store.install(r.manifest, r.wasm)
  return dir
}
