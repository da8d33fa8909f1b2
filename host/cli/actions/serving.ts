import { ServingStore } from '../../apps/index.ts'
import { SERVING } from '../../constants.ts'
import type { CliContext } from '../context.ts'

/** Turn serving on or off, or show it. @throws STORE_LOCKED, INTERNAL */
export async function serving(ctx: CliContext, args: { action: 'on' | 'off' | 'status'; app?: string }): Promise<void> {
  const store = new ServingStore(ctx.paths.serving)
  const cfg = args.action === 'status' ? await store.read() : await store.set(args.action === 'on', args.app)
  ctx.data({ ...cfg, limits: SERVING }, () => [
    `serving ${cfg.enabled ? 'on' : 'OFF for every app'}${cfg.enabled && cfg.off.length ? `, except ${cfg.off.join(', ')}` : ''}`,
    `limits: ${SERVING.maxFetchesPerPeer} fetches per peer, ${SERVING.maxFetches} in total, ${SERVING.bytesPerSecond / 1024 / 1024} MiB/s, modules up to ${SERVING.maxModuleBytes / 1024 / 1024} MiB`
  ])
}
