import test, { after } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { createProject, PROJECT_ASC_FLAGS } from '../../host/scaffold/create-project.ts'
import { ascFlags, ROOT } from '../../scripts/build-plugins.js'
import { FakeHost, peerKey } from '../sdk/fake-host.ts'

const run = promisify(execFile)
const dirs: string[] = []

after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true })
})

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hn-scaffold-'))
  dirs.push(dir)
  return dir
}

/** What `npm install` leaves in a new project, made offline: a link to the SDK copy. */
async function linkDependencies(project: string): Promise<void> {
  await mkdir(path.join(project, 'node_modules', '@hypernet'), { recursive: true })
  await symlink(path.join(project, 'vendor', 'hypernet-sdk'), path.join(project, 'node_modules', '@hypernet', 'sdk'))
}

test('a new project builds offline into a module that speaks ABI 1 and echoes', async () => {
  const project = path.join(await tempDir(), 'hello')
  const files = await createProject(project, 'hello')
  const rel = files.map((f) => path.relative(project, f))
  for (const f of [
    'package.json',
    'build.mjs',
    'assembly/index.ts',
    'hello.draft.json',
    'README.md',
    'vendor/hypernet-sdk/index.ts',
    'vendor/hypernet-sdk/ABI.md'
  ]) {
    assert.ok(rel.includes(f), `writes ${f}`)
  }
  await linkDependencies(project)
  // The project's own build script, with no compiler of its own: it uses this repository's.
  const pkg = JSON.parse(await readFile(path.join(project, 'package.json'), 'utf8'))
  assert.equal(pkg.scripts.build, 'node build.mjs')
  assert.deepEqual(Object.keys(pkg.devDependencies), ['@hypernet/sdk'], 'no per-project compiler to install')
  await run(process.execPath, ['build.mjs'], { cwd: project })

  const bytes = await readFile(path.join(project, 'build', 'hello.wasm'))
  const module = new WebAssembly.Module(bytes)
  assert.ok(WebAssembly.Module.exports(module).some((e) => e.name === 'hn_abi_version'))
  assert.deepEqual([...new Set(WebAssembly.Module.imports(module).map((i) => i.module))], ['extism:host/user'])
  const h = FakeHost.fromBytes(bytes)
  assert.equal(h.exports.hn_abi_version(), 1)
  assert.equal(h.start(), 0)
  h.open(1, peerKey(1), 'hello')
  h.data(1, 'ping')
  assert.equal(h.take(1).toString(), 'ping')
  assert.deepEqual(
    h.logs.map((l) => l.text),
    ['hello started', 'peer 01010101 connected']
  )
})

test('without a compiler in the project or beside its hypernet-host, the build says what to do in one line', async () => {
  const dir = await tempDir()
  const host = path.join(dir, 'host')
  await mkdir(host)
  await writeFile(path.join(host, 'package.json'), '{"name":"hypernet-host"}')
  const project = path.join(dir, 'p')
  await createProject(project, 'p', { hostRoot: host })
  await linkDependencies(project)
  await assert.rejects(run(process.execPath, ['build.mjs'], { cwd: project }), (err: any) => {
    assert.equal(err.code, 1)
    assert.match(err.stderr, /^build\.mjs: no AssemblyScript compiler .*run npm install --save-dev assemblyscript@0\.28\.20\n$/)
    return true
  })
})

test('the project builds with the same asc flags as this repository', () => {
  assert.deepEqual([...PROJECT_ASC_FLAGS], ascFlags())
})

test("the draft manifest is unsigned and declares the app's service", async () => {
  const project = path.join(await tempDir(), 'my-app')
  await createProject(project, 'my-app')
  const draft = JSON.parse(await readFile(path.join(project, 'my-app.draft.json'), 'utf8'))
  assert.equal(draft.schema, 'hypernet/manifest@1')
  assert.deepEqual(draft.code, { hash: '', abi: 1 })
  assert.equal(draft.publisher, '')
  assert.equal(draft.signature, undefined)
  assert.deepEqual(draft.services, [{ name: 'my-app', port: 1, protocol: 'stream' }])
  assert.equal(draft.limits.memoryMiB * 16, Number(PROJECT_ASC_FLAGS.at(-1)), 'the memory limit matches --maximumMemory')
  const readme = await readFile(path.join(project, 'README.md'), 'utf8')
  assert.match(readme, /hypernet-host sign build\/my-app\.wasm --manifest my-app\.draft\.json/)
  assert.match(readme, /hypernet-host install build\/my-app\.wasm/)
  // every file the README says holds the compiler flags does hold them
  const said = [...readme.matchAll(/--maximumMemory\\?` in `([^`]+)`|flags in `([^`]+)`/g)].map((m) => m[1] ?? m[2])
  assert.ok(said.length >= 2, readme)
  for (const file of said) assert.match(await readFile(path.join(project, file), 'utf8'), /--maximumMemory/, `${file} has the flags the README says it has`)
})

test('the project carries a copy of every file the SDK publishes', async () => {
  const project = path.join(await tempDir(), 'copy')
  await createProject(project, 'copy')
  for (const f of ['index.ts', 'exports.ts', 'raw.ts', 'README.md', 'ABI.md', 'package.json', 'assembly/raw.ts']) {
    assert.deepEqual(await readFile(path.join(project, 'vendor/hypernet-sdk', f)), await readFile(path.join(ROOT, 'sdk', f)), f)
  }
  const ours = (await readdir(path.join(ROOT, 'sdk', 'assembly'))).sort()
  assert.deepEqual((await readdir(path.join(project, 'vendor/hypernet-sdk/assembly'))).sort(), ours)
})

test('refuses a folder that exists and is not empty, and writes nothing there', async () => {
  const dir = await tempDir()
  await writeFile(path.join(dir, 'keep.txt'), 'mine')
  await assert.rejects(createProject(dir, 'app'), { code: 'FILE_EXISTS' })
  assert.deepEqual(await readdir(dir), ['keep.txt'])
})

test('refuses a path that is a file', async () => {
  const file = path.join(await tempDir(), 'file')
  await writeFile(file, '')
  await assert.rejects(createProject(file, 'app'), { code: 'FILE_EXISTS' })
})

test('accepts an existing empty folder', async () => {
  const dir = await tempDir()
  const files = await createProject(dir, 'app')
  assert.ok(files.includes(path.join(dir, 'package.json')))
})

test('refuses a name the manifest schema would refuse', async () => {
  const dir = await tempDir()
  for (const name of ['', 'Hello', '-app', 'a_b', 'a/b', 'a b', '../x', 'x'.repeat(65)]) {
    await assert.rejects(createProject(path.join(dir, 'p'), name), { code: 'USAGE' }, JSON.stringify(name))
  }
})
