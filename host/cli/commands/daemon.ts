import type { CommandDef } from '../command.ts'

/** `start`: run the host in the foreground. */
export const startCommand: CommandDef = {
  command: 'start',
  describe: 'run the host in the foreground: its DHT node, every installed app, its services',
  builder: (y) =>
    y
      .option('bootstrap', {
        type: 'string',
        array: true,
        describe: 'DHT bootstrap host:port (default: HYPERNET_BOOTSTRAP, else config bootstrap, else the public HyperDHT network)'
      })
      .option('local', { type: 'boolean', describe: 'start an embedded local DHT network in-process and join it (no internet needed)' })
      .option('local-relays', {
        type: 'number',
        describe:
          'with --local: onion relays to run on it, each its own identity, so anonymous connections and hidden services work (default 6: two guards, three introduction points and more; 0 for none)'
      })
      .option('local-port', {
        type: 'number',
        describe:
          "with --local: UDP port of the embedded network's bootstrap node, the address other hosts join (default 49737; when that is taken, any free port)"
      })
      .option('host', {
        type: 'string',
        describe:
          'with --local: serve the embedded network beyond loopback, at this IPv4 address of the machine (0.0.0.0: its first non-loopback address); prints the address others use'
      })
      .option('port', { type: 'number', describe: "UDP port of the host's DHT node (exit 2 if taken; default: config port, else any free port)" })
      .option('lan', {
        type: 'boolean',
        describe: 'find hosts on this link by multicast DNS and use them as DHT nodes (default: config lan.enabled, else off)'
      })
      .option('verbose', { alias: 'v', type: 'boolean', describe: 'log debug lines too (= --log-level debug)' })
      .option('log-level', {
        type: 'string',
        describe:
          'debug, info, warn or error: the lowest level logged, to the terminal and logs/host.log (default: HYPERNET_LOG_LEVEL, else config log.level, else info)'
      })
      .option('serve', {
        type: 'boolean',
        default: true,
        describe: 'serve the code of running apps to other hosts (--no-serve: not this run; see serving on|off)'
      })
      .option('metrics', {
        type: 'string',
        describe:
          'serve Prometheus metrics at http://<addr:port>/metrics (the flag alone: 127.0.0.1:9464; default: config metrics.address, else off); see docs/metrics.md'
      })
      .option('web', {
        type: 'string',
        describe:
          'serve a live web page of the status at http://<addr:port>/ on loopback, behind a token kept in <home>/web-token (the flag alone: 127.0.0.1:49740; default: config web.address, else off); prints its URL; see docs/monitor.md'
      })
      .option('relay', { type: 'boolean', describe: 'also relay for peers that cannot punch a hole to each other (best on a reachable address)' })
      .option('relay-port', { type: 'number', describe: "UDP port of the relay's own DHT node (default: any free port)" })
      .option('relay-max-connections', { type: 'number', describe: 'relayed connections at once (default 64)' })
      .option('relay-max-bandwidth', { type: 'string', describe: 'relayed bytes per second, all connections together, e.g. 8M (default 8M)' })
      .option('use-relay', { type: 'string', array: true, describe: 'relay keys to pair through before any found in the DHT' })
      .option('onion-relay', { type: 'boolean', describe: 'also carry anonymous circuits for others as an onion relay (advertised in the p2p DNS)' })
      .option('onion-max-circuits', { type: 'number', describe: 'onion circuits at once (default 256)' })
      .option('onion-max-bandwidth', { type: 'string', describe: 'onion cell bytes per second, all circuits together, e.g. 8M (default 8M)' })
      .option('onion-max-memory', {
        type: 'string',
        describe:
          'bytes the onion relay holds for all circuits together, at least 20M (what one circuit may hold); past it the biggest circuits end, e.g. 256M (default 128M)'
      })
      .option('idle-stop', {
        type: 'number',
        describe:
          'run apps on demand: no worker until a connection arrives, stopped after this many seconds unused (0: always running; default: config idle.stopAfter, else 0). Apps granted timers or meshes stay running unless named in --idle-stop-app'
      })
      .option('idle-stop-app', {
        type: 'string',
        array: true,
        describe:
          "one app's idle period, <app>=<seconds> (0: always running); wins over --idle-stop and over its timers/mesh grants (default: config idle.apps)"
      })
      .option('hidden', {
        type: 'string',
        array: true,
        describe: 'run <app> or <app>/<service> as a hidden service: reachable only through onion relays, by a hidden key; its host is never published'
      })
      .example('$0 start --local', 'an isolated network on this machine; prints its bootstrap address')
      .example('$0 start --local --host 0.0.0.0', 'the same, joinable from other machines')
      .example('$0 start --hidden echo', 'the echo app only as a hidden service (status shows its key)')
      .example('$0 start --relay --relay-max-bandwidth 2M', 'offer to relay, at most 2 MiB/s')
      .example('$0 start --onion-relay --onion-max-circuits 64', 'carry up to 64 anonymous circuits for others')
      .example('$0 start --bootstrap 127.0.0.1:49737', "join another host's network")
      .example('$0 start --idle-stop 300', 'start app workers on their first connection, stop them after 5 idle minutes')
      .example('$0 start --idle-stop 60 --idle-stop-app chat=0', 'the same after 1 minute, but chat always runs')
      .example('$0 start --metrics', 'also serve Prometheus metrics at http://127.0.0.1:9464/metrics')
      .example('$0 start --web', 'also serve a live status page at http://127.0.0.1:49740/ (prints the URL with its token)'),
  run: async (ctx, args) => (await import('../actions/daemon.ts')).start(ctx, args as any)
}

/** `status`: what the running daemon is doing. */
export const statusCommand: CommandDef = {
  command: 'status',
  describe: 'show the running daemon: host key, network, apps, services (exit 3 when none runs)',
  builder: (y) =>
    y
      .option('full', { type: 'boolean', describe: 'print keys and hashes whole (the default shortens them: 2778a1b0…e795)' })
      .example('$0 status', 'at a glance')
      .example('$0 status --full', 'with whole keys and hashes')
      .example('$0 status --json', 'everything'),
  run: async (ctx, args) => (await import('../actions/daemon.ts')).status(ctx, args)
}

/** `stop`: stop the running daemon. */
export const stopCommand: CommandDef = {
  command: 'stop',
  describe: 'stop the running daemon and wait until its process has exited',
  builder: (y) =>
    y
      .option('wait', { type: 'boolean', default: true, describe: 'wait until the daemon has exited (--no-wait: return once it is asked to stop)' })
      .option('timeout', { type: 'number', default: 60, describe: 'seconds to wait for it to exit (exit 1 TIMEOUT after)' })
      .example('$0 stop', 'returns once the daemon is gone')
      .example('$0 stop --no-wait', 'returns at once'),
  run: async (ctx, args) => (await import('../actions/daemon.ts')).stop(ctx, args)
}

/** `restart <app>`: the operator's way out of `failed`. */
export const restartCommand: CommandDef = {
  command: 'restart <app>',
  describe: 'restart an app in the running daemon (also one marked failed after repeated crashes)',
  builder: (y) => y.positional('app', { type: 'string', demandOption: true }).example('$0 restart echo', ''),
  run: async (ctx, args) => (await import('../actions/daemon.ts')).restart(ctx, args as any)
}
