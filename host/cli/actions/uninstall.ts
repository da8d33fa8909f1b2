import { createAppStore } from '../../store/index.ts'
import type { CliContext } from '../context.ts'
import { notifyDaemon } from './notify-daemon.ts'

/** Remove an app. @throws APP_NOT_FOUND, STORE_LOCKED */
export async function uninstall(ctx: CliContext, args: { app: string }): Promise<void> {
  const store = createAppStore({ dir: ctx.paths.store })
  await store.ready()
  const app = await store.uninstall(args.app)
  const daemon = await notifyDaemon(ctx, { op: 'reload', app: app.name })
  ctx.data({ uninstalled: app, daemon }, () => [`uninstalled ${app.name} ${app.version} (code hash ${app.codeHash})`])
}
