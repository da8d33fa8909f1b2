import type DHT from 'hyperdht'
import { auditApp, failureOf } from '../audit/index.ts'
import { permissionDiff } from '../audit/index.ts'
import type { PermissionDiff } from '../audit/index.ts'
import { HypernetError } from '../errors.ts'
import type { AppStore, InstallOutcome, InstalledApp } from '../store/index.ts'
import type { InstallPlan, PolicyOptions } from '../store/index.ts'
import type { Manifest } from '../manifest/index.ts'
import { closeAnswers, fetchCode, fetchManifest, findVendors } from './fetch-app.ts'
import type { AuditedRelease, CodeOpts } from './fetch-app.ts'

/**
 * Install by hash, the whole loop: find verified vendors, fetch and audit the signed manifest,
 * apply the install policy (pinned publisher, no rollback, no mix-and-match) before anyone is
 * asked, ask for consent with what was found, fetch the code, check it against the signed code
 * hash, run the module checks, and install atomically. Nothing reaches the store before every
 * check passed; a refused consent or any failure leaves both sides as they were.
 */

export interface ConsentRequest {
  release: AuditedRelease
  plan: InstallPlan & { previous?: InstalledApp; previousManifest?: Manifest }
  /** Hosts that run it (verified descriptors). */
  hosts: number
  /** Against the installed version, when this replaces one. */
  diff: PermissionDiff | null
}

export interface NetInstallComponents {
  dht: DHT
  store: AppStore
  trusted: ReadonlySet<string>
}

export interface NetInstallOptions extends CodeOpts {
  /** A code hash or a service hash. */
  hash: Buffer
  policy?: PolicyOptions
  /** Vendors to skip (this host's own key). */
  exclude?: ReadonlySet<string>
  /** Ask; false refuses (CONSENT_DENIED). Not called when nothing would change. */
  consent(req: ConsentRequest): Promise<boolean>
  /** How long to look for vendors, in ms (default 10 s). */
  lookupTimeoutMs?: number
}

export type NetInstallResult = InstallOutcome & { release: AuditedRelease; hosts: number }

/**
 * Find, audit, ask, fetch, verify and install the app `opts.hash` names.
 * @throws NOT_FOUND, FETCH_FAILED, every audit code, PUBLISHER_CHANGED, DOWNGRADE, VERSION_CONFLICT, CONSENT_DENIED
 */
export async function installFromNetwork(c: NetInstallComponents, opts: NetInstallOptions): Promise<NetInstallResult> {
  const vendors = await findVendors(c.dht, opts.hash, { timeoutMs: opts.lookupTimeoutMs, exclude: opts.exclude })
  return installRelease(c, vendors.codeHash, vendors.hosts, opts)
}

/**
 * The loop from the manifest on, for a code hash whose vendors are known (upgrades find them by release topic).
 * @throws as installFromNetwork
 */
export async function installRelease(
  c: NetInstallComponents,
  codeHash: string,
  hosts: string[],
  opts: Omit<NetInstallOptions, 'hash'>
): Promise<NetInstallResult> {
  const release = await fetchManifest(c.dht, codeHash, hosts, {
    trusted: c.trusted,
    pins: await c.store.pins(),
    timeoutMs: opts.timeoutMs,
    onProblem: opts.onProblem
  })
  return finishInstall(c, release, hosts.length, opts)
}

/**
 * The loop from an audited manifest on: policy, consent, code, module checks, store. Closes the
 * release's vendor sessions whatever happens.
 * @throws as installFromNetwork
 */
export async function finishInstall(
  c: NetInstallComponents,
  release: AuditedRelease,
  hosts: number,
  opts: Omit<NetInstallOptions, 'hash'>
): Promise<NetInstallResult> {
  const codeHash = release.codeHash
  try {
    const plan = await c.store.plan(release.manifest, opts.policy)
    if (plan.kind === 'unchanged' && plan.previous) return { status: 'unchanged', app: plan.previous, release, hosts }
    const diff = plan.previousManifest ? permissionDiff(plan.previousManifest, release.manifest) : null
    if (!(await opts.consent({ release, plan, hosts, diff }))) throw HypernetError.CONSENT_DENIED()
    const wasm = await fetchCode(c.dht, release, opts)
    const label = `code ${codeHash}`
    const report = await auditApp({ manifestFile: label, wasmFile: label, manifestValue: release.manifest, wasmBytes: wasm, trusted: c.trusted })
    if (!report.ok) throw failureOf(report)
    const outcome = await c.store.install(release.manifest, wasm, { ...opts.policy, expect: plan.kind })
    return { ...outcome, release: { ...release, report }, hosts }
  } finally {
    await closeAnswers(release.answers)
  }
}
