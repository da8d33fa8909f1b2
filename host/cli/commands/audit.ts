import type { CommandDef } from '../command.ts'

/** `audit <app.wasm | manifest.json>`: every check install would make, as a report. */
export const auditCommand: CommandDef = {
  command: 'audit <file>',
  describe:
    'check an app (a file, or by hash from the hosts that run it): schema, signature, expiry, code hash, imports, exports, memory; list what it asks for',
  builder: (y) =>
    y
      .positional('file', { type: 'string', describe: 'the app module (.wasm), its manifest (.json), or a code hash or service hash', demandOption: true })
      .option('bootstrap', { type: 'string', array: true, describe: "DHT bootstrap node host:port (by hash; default: the daemon's network, else public)" })
      .option('timeout', { type: 'number', default: 10, describe: 'seconds to look for hosts that run it (by hash)' })
      .option('manifest', { alias: 'm', type: 'string', describe: 'the manifest, when not <app>.manifest.json beside the wasm' })
      .option('wasm', { type: 'string', describe: 'the module, when auditing a manifest not beside <app>.wasm' })
      .example('$0 audit build/echo.wasm', 'audit with build/echo.manifest.json')
      .example('$0 audit app.manifest.json --json', 'the report as JSON; exit 4 if a check failed')
      .example('$0 audit 2e36dae5d985b886…', 'what an app the network runs would be allowed to do, and who runs it'),
  run: async (ctx, args) => (await import('../actions/audit.ts')).audit(ctx, args as any)
}
