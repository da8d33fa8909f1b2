/**
 * The daemon's control socket: the server, the client the CLI uses, and the argument schemas.
 */
export { NO_ARGS, argsSchema, bool, int, num, str } from './control-args.ts'
export { callDaemon, daemonRunning } from './control-client.ts'
export { ControlServer, checkSocketPath, isLive } from './control-server.ts'
export type { ControlOp } from './control-server.ts'
