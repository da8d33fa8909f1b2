import type { CommandDef } from '../command.ts'

/** `audit <app.wasm | manifest.json>`: every check install would make, as a report. */
export const auditCommand: CommandDef = {
  command: 'audit <file>',
  describe: 'check an app: schema, signature, expiry, code hash, imports, exports, memory; list what it asks for',
  builder: (y) =>
    y
      .positional('file', { type: 'string', describe: 'the app module (.wasm) or its manifest (.json)', demandOption: true })
      .option('manifest', { alias: 'm', type: 'string', describe: 'the manifest, when not <app>.manifest.json beside the wasm' })
      .option('wasm', { type: 'string', describe: 'the module, when auditing a manifest not beside <app>.wasm' })
      .example('$0 audit build/echo.wasm', 'audit with build/echo.manifest.json')
      .example('$0 audit app.manifest.json --json', 'the report as JSON; exit 4 if a check failed'),
  run: async (ctx, args) => (await import('../actions/audit.ts')).audit(ctx, args as any)
}
