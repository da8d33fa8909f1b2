/**
 * `hypernet-host new <name>`: a ready-to-build AssemblyScript app project.
 *
 * The project gets its own copy of the SDK (vendor/hypernet-sdk, referenced from
 * package.json as `file:./vendor/hypernet-sdk`) rather than a `file:` link to this
 * checkout: a link would break when hypernet-host moves or is reinstalled, would change the
 * app's bytes (and so its signed code hash) under the author on every upgrade, and would not
 * exist on another machine. A copy keeps builds reproducible anywhere; updating the SDK is a
 * deliberate act (replace the folder).
 */
import { readFile, readdir, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { ABI_VERSION, LIMITS, MANIFEST_SCHEMA_ID } from '../constants.ts'
import { HypernetError } from '../errors.ts'
import type { ManifestBody } from '../manifest/index.ts'
import { packageFile } from '../util/package-root.ts'
import { makeDirs } from '../util/make-dirs.ts'

/** The SDK of this checkout, copied into every new project. */
const SDK_DIR = packageFile('sdk')

/** Where a project keeps its copy of the SDK. */
const VENDOR_SDK = 'vendor/hypernet-sdk'

/** The compiler the project pins: the one this SDK is built and tested with. */
export const ASSEMBLYSCRIPT_VERSION = '0.28.20'

/** Memory maximum in 64 KiB pages; matches the draft's limits.memoryMiB. */
const MAX_PAGES = (LIMITS.defaultMemoryMiB * 1024 * 1024) / 65536

/**
 * The asc flags of a project's build, the same as scripts/build-plugins.js uses for the
 * examples (a test holds the two equal).
 */
export const PROJECT_ASC_FLAGS: readonly string[] = [
  '-O3',
  '--runtime',
  'incremental',
  '--use',
  'abort=~lib/@hypernet/sdk/assembly/runtime/hnAbort',
  '--use',
  'trace=~lib/@hypernet/sdk/assembly/runtime/hnTrace',
  '--use',
  'seed=~lib/@hypernet/sdk/assembly/runtime/hnSeed',
  '--maximumMemory',
  String(MAX_PAGES)
]

/** The manifest schema's rule for app names; the name also becomes the npm name, the wasm file and the service. */
const NAME = /^[a-z0-9][a-z0-9-]{0,63}$/

export interface ProjectOptions {
  /** How the README tells the author to run hypernet-host (default `hypernet-host`). */
  hostCommand?: string
  /** The hypernet-host installation whose AssemblyScript compiler the build uses (default: this one). */
  hostRoot?: string
}

/**
 * Write a new app project into `dir` (created if missing): an echo-like starter in
 * assembly/index.ts, package.json with an offline `npm run build` (build.mjs: the project's own
 * assemblyscript if installed, else the compiler of the hypernet-host that made it), the draft manifest
 * `<name>.draft.json`, a README with the build, sign and install steps, and a copy of the SDK.
 *
 * @returns the absolute paths of the files written
 * @throws HypernetError USAGE when `name` is not 1..64 lowercase letters, digits and dashes
 * @throws HypernetError FILE_EXISTS when `dir` exists and is not an empty folder
 */
export async function createProject(dir: string, name: string, opts: ProjectOptions = {}): Promise<string[]> {
  if (!NAME.test(name)) {
    throw HypernetError.USAGE(`app name: expected 1 to 64 lowercase letters, digits and dashes, not starting with a dash, got ${JSON.stringify(name)}`)
  }
  const root = path.resolve(dir)
  await ensureEmptyDir(root)
  const files: Array<[string, string | Buffer]> = [
    ['package.json', json(packageJson(name))],
    ['build.mjs', buildScript(name, opts.hostRoot ?? packageFile())],
    ['assembly/index.ts', starter(name)],
    ['assembly/tsconfig.json', json({ extends: 'assemblyscript/std/assembly.json', include: ['./**/*.ts'] })],
    [`${name}.draft.json`, json(draftManifest(name))],
    ['README.md', readme(name, opts.hostCommand ?? 'hypernet-host')],
    ['.gitignore', 'node_modules/\nbuild/\n'],
    ...(await sdkFiles())
  ]
  const written: string[] = []
  for (const [rel, contents] of files) {
    const file = path.join(root, rel)
    await makeDirs(path.dirname(file))
    // wx: never overwrite, even if something appeared since the emptiness check.
    await writeFile(file, contents, { flag: 'wx' })
    written.push(file)
  }
  return written
}

/** new never writes into a folder with files (it could overwrite someone's code), so no --force. */
const EXISTS_HINT = 'new writes only into a missing or empty folder: choose another name or --dir, or move it aside'

async function ensureEmptyDir(dir: string): Promise<void> {
  let entries: string[]
  try {
    const s = await stat(dir)
    if (!s.isDirectory()) throw HypernetError.FILE_EXISTS(dir, EXISTS_HINT)
    entries = await readdir(dir)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      await makeDirs(dir)
      return
    }
    throw err
  }
  if (entries.length > 0) throw HypernetError.FILE_EXISTS(dir, EXISTS_HINT)
}

/** The SDK's published files (its package.json `files`), under vendor/hypernet-sdk. */
async function sdkFiles(): Promise<Array<[string, Buffer]>> {
  const pkg = JSON.parse(await readFile(path.join(SDK_DIR, 'package.json'), 'utf8')) as { files: string[] }
  const out: Array<[string, Buffer]> = [[`${VENDOR_SDK}/package.json`, await readFile(path.join(SDK_DIR, 'package.json'))]]
  for (const entry of pkg.files) {
    for (const rel of await walk(SDK_DIR, entry.replace(/\/$/, ''))) {
      out.push([`${VENDOR_SDK}/${rel}`, await readFile(path.join(SDK_DIR, rel))])
    }
  }
  return out
}

async function walk(base: string, rel: string): Promise<string[]> {
  const s = await stat(path.join(base, rel))
  if (!s.isDirectory()) return [rel]
  const out: string[] = []
  for (const name of (await readdir(path.join(base, rel))).sort()) out.push(...(await walk(base, `${rel}/${name}`)))
  return out
}

function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n'
}

function packageJson(name: string): Record<string, unknown> {
  return {
    name,
    version: '0.1.0',
    private: true,
    description: `${name}: a Hypernet app`,
    type: 'module',
    scripts: {
      build: 'node build.mjs'
    },
    devDependencies: {
      '@hypernet/sdk': `file:./${VENDOR_SDK}`
    }
  }
}

/** The arguments build.mjs gives asc. */
export function projectAscArgs(name: string): string[] {
  return ['assembly/index.ts', '--outFile', `build/${name}.wasm`, ...PROJECT_ASC_FLAGS]
}

/**
 * The project's build: no per-project compiler to install (AssemblyScript is ~100 MB and would
 * need the registry). It uses the project's own `assemblyscript` when the author installed one,
 * else the one beside the hypernet-host that made the project (a checkout has it; the published
 * package does not, and then the script says what to do in one line).
 */
function buildScript(name: string, hostRoot: string): string {
  return `// Builds build/${name}.wasm: \`npm run build\`. Written by \`hypernet-host new\`; edit freely.
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"

// The hypernet-host installation this project was made with; its AssemblyScript compiler builds
// the app unless this project installs its own (npm install --save-dev assemblyscript@${ASSEMBLYSCRIPT_VERSION}).
const HOST = ${JSON.stringify(hostRoot)}
const ARGS = ${JSON.stringify(projectAscArgs(name))}

function findAsc() {
  for (const from of [join(process.cwd(), "package.json"), join(HOST, "package.json")]) {
    try {
      const pkg = createRequire(from).resolve("assemblyscript/package.json")
      const asc = join(dirname(pkg), "bin", "asc.js")
      if (existsSync(asc)) return asc
    } catch {}
  }
  return null
}

const asc = findAsc()
if (asc === null) {
  console.error("build.mjs: no AssemblyScript compiler here or in " + HOST + " (an installed hypernet-host ships without it): run npm install --save-dev assemblyscript@${ASSEMBLYSCRIPT_VERSION}")
  process.exit(1)
}
const r = spawnSync(process.execPath, [asc, ...ARGS], { stdio: "inherit" })
process.exit(r.status ?? 1)
`
}

/** Unsigned: `hypernet-host sign` fills in code.hash and publisher. */
function draftManifest(name: string): ManifestBody {
  return {
    schema: MANIFEST_SCHEMA_ID,
    app: { name, version: '0.1.0', description: `${name}: a Hypernet app` },
    code: { hash: '', abi: ABI_VERSION },
    publisher: '',
    services: [{ name, port: 1, protocol: 'stream' }],
    permissions: {},
    limits: { memoryMiB: LIMITS.defaultMemoryMiB, callTimeoutMs: LIMITS.defaultCallTimeoutMs }
  }
}

function starter(name: string): string {
  return `// ${name}: a Hypernet app. For now it echoes what each peer sends; make it yours.
// The API: vendor/hypernet-sdk/README.md. The contract with the host: vendor/hypernet-sdk/ABI.md.
import { Connection, Handler, log, onStart, serve, toHex } from "@hypernet/sdk"
// Required in every app: exports the functions the host calls.
export * from "@hypernet/sdk/exports"

class App extends Handler {
  onOpen(conn: Connection): void {
    // conn.peer is the peer's public key, proven by the connection's handshake.
    log.info("peer " + toHex(conn.peer).substring(0, 8) + " connected")
  }

  onData(conn: Connection, data: Uint8Array): void {
    // false means the peer reads slowly: the SDK queued the bytes and paused this peer.
    conn.send(data)
  }
}

// The service named in ${name}.draft.json.
serve("${name}", new App())

// Top-level code runs before the host takes calls; use the host from onStart on.
onStart((): void => {
  log.info("${name} started")
})
`
}

function readme(name: string, hn: string): string {
  return `# ${name}

A Hypernet app in AssemblyScript. It vends the service \`${name}\` and, for
now, echoes what each peer sends.

## Build

\`\`\`sh
npm install        # links the SDK copy in ${VENDOR_SDK}; offline, nothing downloaded
npm run build      # -> build/${name}.wasm, offline
\`\`\`

The build (\`build.mjs\`) uses AssemblyScript ${ASSEMBLYSCRIPT_VERSION} from the hypernet-host that
made the project, or this project's own if you \`npm install --save-dev assemblyscript@${ASSEMBLYSCRIPT_VERSION}\`.
It is reproducible: the same sources give the same bytes, so anyone can rebuild the
app and check its code hash. The flags in \`build.mjs\` are the SDK's: \`--maximumMemory\` is
required (a host refuses a module without a memory maximum) and the \`--use\` flags route
AssemblyScript's \`env\` imports, which a host does not offer, into the SDK.

## Sign and install

\`\`\`sh
${hn} keys generate      # once: your publisher key
${hn} sign build/${name}.wasm --manifest ${name}.draft.json
${hn} install build/${name}.wasm
\`\`\`

\`sign\` fills in the code hash and your publisher key and signs the manifest. Edit
\`${name}.draft.json\` first if the app needs more than it asks for now: \`permissions.dial\`
(services it may connect to), \`permissions.storage\`, \`permissions.timers\`, and
\`limits.memoryMiB\` (keep \`--maximumMemory\` in \`build.mjs\` at 16 pages per MiB of it).

## Where things are

| file | what |
| --- | --- |
| \`assembly/index.ts\` | the app |
| \`build.mjs\` | the build: asc with the flags every Hypernet module needs |
| \`${name}.draft.json\` | the unsigned manifest: services, permissions, limits |
| \`${VENDOR_SDK}/\` | the SDK, copied from hypernet-host when this project was made: README.md is the API, ABI.md the contract. Replace the folder to update it |
`
}
