import type { CommandDef } from '../command.ts'

/** `install <app.wasm | code hash | service hash>`: audit, ask consent, store. */
export const installCommand: CommandDef = {
  command: 'install <wasm>',
  describe: 'verify an app from a file or, by hash, from the hosts that run it; show what it asks for; install it',
  builder: (y) =>
    y
      .positional('wasm', { type: 'string', describe: 'the app module (.wasm), or a code hash or service hash to fetch from the network', demandOption: true })
      .option('manifest', { alias: 'm', type: 'string', describe: 'its signed manifest (default: <app>.manifest.json beside it)' })
      .option('yes', { alias: 'y', type: 'boolean', describe: 'consent without asking' })
      .option('allow-downgrade', { type: 'boolean', describe: 'install a lower version than the installed one (a rollback)' })
      .option('replace-publisher', { type: 'boolean', describe: 'replace an app of the same name from another publisher' })
      .option('bootstrap', { type: 'string', array: true, describe: "DHT bootstrap node host:port (by hash; default: the daemon's network, else public)" })
      .option('timeout', { type: 'number', default: 10, describe: 'seconds to look for hosts that run it (by hash)' })
      .example('$0 install build/echo.wasm', 'asks before installing')
      .example('$0 install app.wasm --manifest app.manifest.json --yes', 'no prompt (scripts, CI)')
      .example('$0 install 2e36dae5d985b886…', 'by code hash (or service hash) from the hosts that run it'),
  run: async (ctx, args) => (await import('../actions/install.ts')).install(ctx, args as any)
}
