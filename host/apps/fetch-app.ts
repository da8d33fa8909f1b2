import type DHT from 'hyperdht'
import { auditApp, failureOf } from '../audit/index.ts'
import type { AuditReport } from '../audit/index.ts'
import { LIMITS, SERVING } from '../constants.ts'
import { HypernetError } from '../errors.ts'
import { formatId, parseHash } from '../encoding/ids.ts'
import { lookupVerified } from '../dns/index.ts'
import { codeHash as hashOf } from '../manifest/index.ts'
import type { Manifest } from '../manifest/index.ts'
import { compareVersions } from '../store/index.ts'
import { AppsSession } from './apps-session.ts'

/**
 * Code by hash from the hosts that run it: find verified vendors (the p2p DNS lookup), get the
 * signed manifest from several at once and audit each, keep the newest valid one (so one vendor
 * holding back a renewed manifest cannot freeze us), then fetch the code from one vendor at a
 * time and check it against the signed code hash. A vendor whose manifest or bytes do not check
 * out is reported by key and dropped, and the next is tried; nothing unverified is returned.
 */

export interface Vendors {
  codeHash: string
  /** What the vendors' descriptors claim; the signed manifest is what counts. */
  app: string
  version: string
  hosts: string[]
}

export interface LookupOpts {
  timeoutMs?: number
  /** Ask at most this many vendors for their manifest at once. */
  maxVendors?: number
  exclude?: ReadonlySet<string>
}

/**
 * The hosts whose signed descriptors say they run `hash` (a code hash or a service hash).
 * @throws NOT_FOUND when none does
 */
export async function findVendors(dht: DHT, hash: Buffer, opts: LookupOpts = {}): Promise<Vendors> {
  const byCode = new Map<string, Vendors>()
  for await (const p of lookupVerified(dht, hash, { timeoutMs: opts.timeoutMs ?? 10_000 })) {
    if (!p.codeHash || p.kind === 'bridge' || opts.exclude?.has(p.hostKey)) continue
    const v = byCode.get(p.codeHash) ?? { codeHash: p.codeHash, app: p.app, version: p.version, hosts: [] }
    if (!v.hosts.includes(p.hostKey)) v.hosts.push(p.hostKey)
    byCode.set(p.codeHash, v)
  }
  // a service hash and a code hash each name exactly one code, so there is one group
  const found = [...byCode.values()].sort((a, b) => b.hosts.length - a.hosts.length)[0]
  if (!found) throw HypernetError.NOT_FOUND(`no verified host runs ${formatId(hash)}`)
  return found
}

export interface VendorAnswer {
  host: string
  report: AuditReport
  manifest?: Manifest
  size?: number
  session?: AppsSession
  error?: HypernetError
}

export interface AuditedRelease {
  codeHash: string
  manifest: Manifest
  size: number
  report: AuditReport
  /** Every vendor's answer, the chosen one first; open sessions are closed by `closeAnswers`. */
  answers: VendorAnswer[]
}

export interface ManifestOpts {
  trusted?: ReadonlySet<string>
  /** Only this app of this publisher (upgrades: the pinned one); others are reported and skipped. */
  expect?: { publisher: string; name: string }
  /** App name -> pinned publisher: a manifest for a pinned name by another publisher is skipped, unless none other is offered (the install policy then says PUBLISHER_CHANGED). */
  pins?: Readonly<Record<string, string>>
  timeoutMs?: number
  maxVendors?: number
  onProblem?: (line: string) => void
  now?: Date
}

/**
 * Ask up to `maxVendors` hosts for the signed manifest of `codeHash` and audit each answer
 * (schema, signature, expiry, ABI, publisher trust, and that it is the manifest of this code).
 * Returns the newest valid manifest, or, when none is valid, throws the first vendor's problem
 * with its audit report attached (`details.report`).
 * @throws FETCH_FAILED, or the audit code every vendor's manifest failed with
 */
export async function fetchManifest(dht: DHT, codeHash: string, hosts: string[], opts: ManifestOpts = {}): Promise<AuditedRelease> {
  const ask = hosts.slice(0, opts.maxVendors ?? 4)
  const answers = await Promise.all(ask.map((h) => askVendor(dht, codeHash, h, opts)))
  const problem = (a: VendorAnswer, why: string) => opts.onProblem?.(`vendor ${a.host}: ${why}`)
  for (const a of answers) if (a.error) problem(a, a.error.message)
  let valid = answers.filter((a) => a.manifest && a.report.ok && !a.error)
  if (valid.length === 0) {
    await closeAnswers(answers)
    const first = answers.find((a) => a.report.checks.length > 0 && !a.report.ok)
    if (first) throw failureOf(first.report)
    throw HypernetError.FETCH_FAILED(
      codeHash,
      answers.map((a) => `${a.host}: ${a.error?.message ?? 'not asked'}`)
    )
  }
  // Anyone can sign a manifest for any code: which signer counts is decided here, never by
  // which manifest is newest, so one vendor cannot swap the publisher of what is installed.
  const signer = (a: VendorAnswer) => `${a.manifest!.app.name} by ${a.report.publisher!.key}`
  const keep = (f: (a: VendorAnswer) => boolean, why: (a: VendorAnswer) => string) => {
    const kept = valid.filter(f)
    for (const a of valid) if (!kept.includes(a)) problem(a, why(a))
    valid = kept
  }
  if (opts.expect) {
    const e = opts.expect
    keep(
      (a) => a.manifest!.app.name === e.name && a.report.publisher!.key === e.publisher,
      (a) => `offers ${signer(a)}, not ${e.name} by ${e.publisher}; skipped`
    )
  } else if (opts.pins && valid.some((a) => opts.pins![a.manifest!.app.name] === a.report.publisher!.key)) {
    keep(
      (a) => (opts.pins![a.manifest!.app.name] ?? a.report.publisher!.key) === a.report.publisher!.key,
      (a) => `offers ${signer(a)}, not the publisher pinned for that name; skipped`
    )
  }
  const groups = new Set(valid.map(signer))
  if (groups.size > 1 && opts.trusted && valid.some((a) => opts.trusted!.has(a.report.publisher!.key))) {
    keep(
      (a) => opts.trusted!.has(a.report.publisher!.key),
      (a) => `offers ${signer(a)}, from a publisher this host does not trust, beside a trusted one; skipped`
    )
  }
  const signers = [...new Set(valid.map(signer))]
  if (signers.length !== 1) {
    await closeAnswers(answers)
    throw signers.length === 0
      ? HypernetError.FETCH_FAILED(
          codeHash,
          answers.map((a) => `${a.host}: skipped`)
        )
      : HypernetError.CONFLICTING_MANIFESTS(codeHash, signers)
  }
  valid.sort((a, b) => newer(b.manifest!, a.manifest!))
  const best = valid[0]
  // vendors whose answers did not hold are not asked again; those not asked yet are spares
  const dropped = answers.filter((a) => !valid.includes(a))
  await closeAnswers(dropped)
  const spares: VendorAnswer[] = hosts.slice(ask.length).map((h) => ({ host: h, report: emptyReport(h) }))
  return { codeHash, manifest: best.manifest!, size: best.size!, report: best.report, answers: [...valid, ...spares] }
}

async function askVendor(dht: DHT, codeHash: string, host: string, opts: ManifestOpts): Promise<VendorAnswer> {
  const label = `peer ${host}`
  let session: AppsSession | undefined
  try {
    session = await AppsSession.open(dht, Buffer.from(host, 'hex'), { timeoutMs: opts.timeoutMs })
    const got = await session.getManifest(Buffer.from(codeHash, 'hex'))
    const report = await auditApp({ manifestFile: label, wasmFile: label, manifestValue: got.value, wasmBytes: null, trusted: opts.trusted, now: opts.now })
    if (!report.ok) return { host, report, session, manifest: got.value as Manifest, error: failureOf(report) }
    const manifest = got.value as Manifest
    if (formatId(parseHash(manifest.code.hash)) !== codeHash) {
      return { host, report, session, error: HypernetError.CODE_HASH_MISMATCH(codeHash, formatId(parseHash(manifest.code.hash))) }
    }
    if (!(got.size > 0 && got.size <= LIMITS.maxWasmBytes)) {
      return {
        host,
        report,
        session,
        error: HypernetError.BAD_MESSAGE(`vendor ${host} claims a ${got.size}-byte module; this host accepts 1 to ${LIMITS.maxWasmBytes}`)
      }
    }
    return { host, report, manifest, size: got.size, session }
  } catch (err) {
    await session?.close()
    const e = err instanceof HypernetError ? err : HypernetError.CONNECTION_FAILED(`vendor ${host}: ${(err as Error).message}`, err)
    return { host, report: emptyReport(host), error: e }
  }
}

/** Vendors `fetchCode` tries, at most, before giving up. */
const MAX_CODE_VENDORS = 8

export interface CodeOpts {
  timeoutMs?: number
  onProgress?: (got: number, total: number, vendor: string) => void
  onProblem?: (line: string) => void
}

/**
 * Fetch the code of an audited release, vendor by vendor (the one that gave the chosen manifest
 * first), ranges pipelined two at a time, and check the bytes against the signed code hash.
 * @throws FETCH_FAILED when no vendor delivered the signed bytes
 */
export async function fetchCode(dht: DHT, release: AuditedRelease, opts: CodeOpts = {}): Promise<Buffer> {
  const problems: string[] = []
  const hash = Buffer.from(release.codeHash, 'hex')
  // at most MAX_CODE_VENDORS, so a flood of vendors that announce and never deliver is bounded
  for (const a of release.answers.slice(0, MAX_CODE_VENDORS)) {
    try {
      // a session may have died while a person read the consent prompt: open another
      if (!a.session || a.session.failed) a.session = await AppsSession.open(dht, Buffer.from(a.host, 'hex'), { timeoutMs: opts.timeoutMs })
      const size = a.size ?? (await a.session.getManifest(hash)).size
      if (!(size > 0 && size <= LIMITS.maxWasmBytes)) throw HypernetError.BAD_MESSAGE(`vendor ${a.host} claims a ${size}-byte module`)
      const wasm = await fetchRanges(a.session, hash, size, (got) => opts.onProgress?.(got, size, a.host))
      const got = formatId(hashOf(wasm))
      if (got !== release.codeHash) throw HypernetError.CODE_HASH_MISMATCH(release.codeHash, got)
      return wasm
    } catch (err) {
      const e = err as HypernetError
      const line =
        e.code === 'CODE_HASH_MISMATCH'
          ? `vendor ${a.host} sent bytes that do not match the signed code hash (${e.message}); dropped`
          : `vendor ${a.host}: ${e.message}`
      problems.push(line)
      opts.onProblem?.(line)
      await a.session?.close()
      a.session = undefined
    }
  }
  throw HypernetError.FETCH_FAILED(release.codeHash, problems)
}

async function fetchRanges(session: AppsSession, hash: Buffer, size: number, onProgress: (got: number) => void): Promise<Buffer> {
  const out = Buffer.alloc(size)
  let got = 0
  let next = 0
  const worker = async () => {
    while (next < size) {
      const offset = next
      const length = Math.min(SERVING.maxRangeBytes, size - offset)
      next += length
      await session.getCode(hash, offset, length, (at, data) => {
        out.set(data, at)
        got += data.byteLength
        onProgress(got)
      })
    }
  }
  await Promise.all([worker(), worker()])
  return out
}

/** Close every session the answers hold. */
export async function closeAnswers(answers: VendorAnswer[]): Promise<void> {
  await Promise.all(answers.map((a) => a.session?.close()))
}

/** >0 when `a` is the newer manifest: higher version, then later expiry (none is latest). */
function newer(a: Manifest, b: Manifest): number {
  const v = compareVersions(a.app.version, b.app.version)
  if (v !== 0) return v
  const t = (m: Manifest) => (m.expires ? Date.parse(m.expires) : Infinity)
  return t(a) === t(b) ? 0 : t(a) > t(b) ? 1 : -1
}

function emptyReport(host: string): AuditReport {
  return { ok: false, wasmFile: `peer ${host}`, manifestFile: `peer ${host}`, services: [], permissions: [], checks: [] }
}
