import { formatId, parseHash } from '../../encoding/ids.ts'
import { serviceHash } from '../../manifest/index.ts'
import { signApp } from '../../manifest/index.ts'
import type { CliContext } from '../context.ts'
import { checkOutputFile } from '../output-path.ts'
import { signingKey } from './signing-key.ts'

/** Sign a draft manifest for a wasm. @throws PATH_INVALID (--out), KEY_NOT_FOUND, FILE_NOT_FOUND, WASM_INVALID, MANIFEST_INVALID */
export async function sign(ctx: CliContext, args: { wasm: string; manifest: string; key?: string; keyName: string; out?: string }): Promise<void> {
  if (args.out !== undefined) await checkOutputFile(args.out, '--out')
  const keyPair = await signingKey(ctx, args)
  const { manifest, file } = await signApp({ wasmFile: args.wasm, draft: args.manifest, keyPair, out: args.out })
  const code = parseHash(manifest.code.hash)
  const services = manifest.services.map((s) => ({ name: s.name, port: s.port, hash: formatId(serviceHash(code, s.name)) }))
  ctx.data({ file, app: manifest.app, codeHash: manifest.code.hash, publisher: manifest.publisher, services }, () => [
    `signed ${manifest.app.name} ${manifest.app.version} -> ${file}`,
    `code hash  ${manifest.code.hash}`,
    `publisher  ${manifest.publisher}`,
    ...services.map((s) => `service    ${s.name} (port ${s.port})  ${s.hash}`)
  ])
}
