import { ABI_VERSION, LIMITS, MANIFEST_SCHEMA_ID } from '../constants.ts'
import { formatId } from '../encoding/ids.ts'
import { atomicWrite } from '../util/atomic-write.ts'
import { codeHash } from './hashes.ts'
import { manifestPathFor, readBounded, readDraftFile } from './load.ts'
import { signManifest } from './signing.ts'
import type { KeyPair } from './signing.ts'
import { validateManifest } from './validate.ts'
import { inspectWasm } from './wasm-module.ts'
import type { Manifest, ManifestBody } from './types.ts'

export interface SignAppInput {
  wasmFile: string
  /** A draft manifest file, or a draft object. */
  draft: string | Record<string, any>
  keyPair: KeyPair
  /** Where to write; default `<app>.manifest.json` beside the wasm. */
  out?: string
}

/**
 * Fill a draft with the wasm's code hash and the signer's key, sign it, and write it.
 * @throws FILE_NOT_FOUND, WASM_INVALID, MANIFEST_NOT_JSON, MANIFEST_INVALID
 */
export async function signApp(input: SignAppInput): Promise<{ manifest: Manifest; file: string }> {
  const wasm = await readBounded(input.wasmFile, LIMITS.maxWasmBytes, 'wasm')
  await inspectWasm(wasm, input.wasmFile)
  const draft = typeof input.draft === 'string' ? await readDraftFile(input.draft) : structuredClone(input.draft)
  const { signature: _old, ...rest } = draft
  const body = {
    ...rest,
    schema: rest.schema ?? MANIFEST_SCHEMA_ID,
    code: { ...(rest.code ?? {}), hash: formatId(codeHash(wasm)), abi: rest.code?.abi ?? ABI_VERSION },
    publisher: formatId(input.keyPair.publicKey),
    services: rest.services ?? [],
    permissions: rest.permissions ?? {},
    limits: rest.limits ?? {}
  } as ManifestBody
  const manifest = signManifest(body, input.keyPair)
  validateManifest(manifest)
  const file = input.out ?? manifestPathFor(input.wasmFile)
  await atomicWrite(file, JSON.stringify(manifest, null, 2) + '\n')
  return { manifest, file }
}
