import type DHT from 'hyperdht'
import { lookupVerified } from '../dns/index.ts'
import { releaseTopic } from '../manifest/index.ts'
import type { InstalledApp } from '../store/index.ts'
import { compareVersions } from '../store/index.ts'
import { closeAnswers, fetchManifest } from './fetch-app.ts'
import type { AuditedRelease } from './fetch-app.ts'

/**
 * Newer releases of an installed app, found without knowing their code hash: every host that
 * runs any version of an app announces it under the app's release topic (publisher, name), and
 * its signed descriptor says which code and version. The descriptor's version is only a claim
 * to sort by: the release counts only once its own signed manifest, signed by the pinned
 * publisher, says it is newer. Offers that fail that are skipped (reported), and the next tried.
 */

/** Offers (distinct code hashes) an upgrade looks at, newest claim first. */
const MAX_OFFERS = 4

export interface UpgradeOffer {
  codeHash: string
  /** The version the hosts' descriptors claim. */
  claimed: string
  hosts: string[]
}

/** Offers newer than `app`, newest claim first. */
export async function findUpgradeOffers(
  dht: DHT,
  app: InstalledApp,
  opts: { timeoutMs?: number; exclude?: ReadonlySet<string> } = {}
): Promise<UpgradeOffer[]> {
  const byCode = new Map<string, UpgradeOffer>()
  for await (const p of lookupVerified(dht, releaseTopic(app.publisher, app.name), { timeoutMs: opts.timeoutMs ?? 10_000 })) {
    if (p.codeHash === app.codeHash || p.publisher !== app.publisher || p.app !== app.name || opts.exclude?.has(p.hostKey)) continue
    if (compareVersions(p.version, app.version) <= 0) continue
    const o = byCode.get(p.codeHash) ?? { codeHash: p.codeHash, claimed: p.version, hosts: [] }
    if (!o.hosts.includes(p.hostKey)) o.hosts.push(p.hostKey)
    byCode.set(p.codeHash, o)
  }
  return [...byCode.values()].sort((a, b) => compareVersions(b.claimed, a.claimed))
}

export interface FoundUpgrade {
  release: AuditedRelease
  hosts: number
}

/**
 * The newest release of `app` whose signed manifest, from its pinned publisher, really is newer;
 * null when there is none. The caller closes `release.answers` (finishInstall does).
 */
export async function findUpgrade(
  dht: DHT,
  app: InstalledApp,
  opts: { trusted?: ReadonlySet<string>; timeoutMs?: number; exclude?: ReadonlySet<string>; onProblem?: (line: string) => void } = {}
): Promise<FoundUpgrade | null> {
  // the newest few claims only: anyone can announce a fake release under a public topic
  for (const offer of (await findUpgradeOffers(dht, app, opts)).slice(0, MAX_OFFERS)) {
    let release: AuditedRelease
    try {
      release = await fetchManifest(dht, offer.codeHash, offer.hosts, {
        trusted: opts.trusted,
        expect: { publisher: app.publisher, name: app.name },
        onProblem: opts.onProblem
      })
    } catch (err) {
      opts.onProblem?.(`${app.name} ${offer.claimed} (${offer.codeHash}): ${(err as Error).message}`)
      continue
    }
    const m = release.manifest
    if (m.app.name !== app.name || release.report.publisher!.key !== app.publisher || compareVersions(m.app.version, app.version) <= 0) {
      opts.onProblem?.(
        `${offer.hosts.join(', ')} claimed ${app.name} ${offer.claimed}, but its signed manifest is ${m.app.name} ${m.app.version} by ${release.report.publisher!.key}; skipped`
      )
      await closeAnswers(release.answers)
      continue
    }
    return { release, hosts: offer.hosts.length }
  }
  return null
}
