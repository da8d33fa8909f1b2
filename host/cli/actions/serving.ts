import { ServingStore } from '../../apps/index.ts'
import { SERVING } from '../../constants.ts'
import { HypernetError } from '../../errors.ts'
import { callDaemon, daemonRunning } from '../../control/index.ts'
import type { ServingStatus } from '../../apps/index.ts'
import type { CliContext } from '../context.ts'
import { createAppStore } from '../../store/index.ts'

/** Turn serving on or off (for every app or one), or show it (for every app or one). @throws USAGE (a malformed app name), APP_NOT_FOUND, STORE_LOCKED, INTERNAL */
export async function serving(ctx: CliContext, args: { action: 'on' | 'off' | 'status'; app?: string }): Promise<void> {
  if (args.app !== undefined && !/^[a-z0-9][a-z0-9-]{0,63}$/.test(args.app)) {
    throw HypernetError.USAGE(`app: expected an app name (lowercase letters, digits, dashes), got ${JSON.stringify(args.app)}`)
  }
  const store = new ServingStore(ctx.paths.serving)
  // a misspelt name would be switched off for nothing, silently; `on` still takes back a name
  // switched off before its app was uninstalled
  if (args.app !== undefined && !(args.action === 'on' && store.read().off.includes(args.app))) {
    const apps = createAppStore({ dir: ctx.paths.store })
    await apps.ready()
    if (!(await apps.list()).some((a) => a.name === args.app)) throw HypernetError.APP_NOT_FOUND(args.app!)
  }
  const cfg = args.action === 'status' ? store.read() : await store.set(args.action === 'on', args.app)
  if (args.action === 'status' && args.app !== undefined) {
    const app = args.app
    const served = cfg.enabled && !cfg.off.includes(app)
    const why = cfg.enabled ? `switched off for it; serving on ${app} turns it back on` : 'serving is OFF for every app'
    ctx.data({ app, served }, () => [`${app}: ${served ? 'served' : `not served (${why})`}`])
    return
  }
  // the running daemon's own limits and counters when there is one; else the defaults
  const live = (await daemonRunning(ctx.paths.socket)) ? (await callDaemon<{ serving?: ServingStatus }>(ctx.paths.socket, 'status')).serving : undefined
  const limits = live?.limits ?? SERVING
  ctx.data({ ...cfg, limits, ...(live ? { fetchesInFlight: live.fetchesInFlight, bytesServed: live.bytesServed, refused: live.refused } : {}) }, () => [
    `serving ${cfg.enabled ? 'on' : 'OFF for every app'}${cfg.enabled && cfg.off.length ? `, except ${cfg.off.join(', ')}` : ''}`,
    `limits: ${limits.maxFetchesPerPeer} fetches per peer, ${limits.maxFetches} in total, ${limits.bytesPerSecond / 1024 / 1024} MiB/s, modules up to ${limits.maxModuleBytes / 1024 / 1024} MiB`,
    ...(live
      ? [
          `now: ${live.fetchesInFlight} fetches, ${live.bytesServed} bytes served${
            Object.keys(live.refused).length
              ? `, refused ${Object.entries(live.refused)
                  .map(([k, v]) => `${k} ${v}`)
                  .join(', ')}`
              : ''
          }`
        ]
      : [])
  ])
}
