import { join } from 'node:path'
import envPaths from 'env-paths'

/**
 * The host home: every file the host keeps lives under one folder, chosen by `--home`, then
 * `HYPERNET_HOME`, then the platform's data folder. These helpers name the files in it.
 */

/** The default home: the platform's data folder for hypernet-host. */
export function defaultHome(): string {
  return envPaths('hypernet-host', { suffix: '' }).data
}

/** Resolve the home folder from an explicit option or the environment. */
export function resolveHome(explicit?: string): string {
  return explicit || process.env.HYPERNET_HOME || defaultHome()
}

/** Named paths under a home folder. */
export function homePaths(home: string) {
  return {
    home,
    keys: join(home, 'keys'),
    store: join(home, 'store'),
    config: join(home, 'config.json'),
    trust: join(home, 'trust.json'),
    firewall: join(home, 'firewall.json'),
    trustedHosts: join(home, 'trusted-hosts.json'),
    bridges: join(home, 'bridges.json'),
    guards: join(home, 'onion-guards.json'),
    serving: join(home, 'serving.json'),
    data: join(home, 'data'),
    kv: join(home, 'kv'),
    identity: join(home, 'host.key'),
    socket: join(home, 'hypernet.sock'),
    /** The web page's token (`start --web`), mode 0600. */
    webToken: join(home, 'web-token'),
    logs: join(home, 'logs')
  }
}

export type HomePaths = ReturnType<typeof homePaths>
