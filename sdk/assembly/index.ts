/**
 * The Hypernet plugin SDK for AssemblyScript: a typed, event-driven API over plugin ABI v1
 * (../ABI.md). A plugin's entry file imports what it uses from here and re-exports the ABI
 * exports from "@hypernet/sdk/exports". See ../README.md.
 */
import "./runtime"

export { Connection, Handler, MAX_QUEUED_BYTES, MAX_SEND_BYTES, PEER_KEY_BYTES } from "./connection"
export { connect, connectionCount, getConnection, HandlerFactory, mesh, serve } from "./net"
export { onStart, StartCallback } from "./start"
export { timers, TimerCallback } from "./timers"
export { storage, MAX_KEY_BYTES, MAX_VALUE_BYTES } from "./storage"
export { log } from "./log"
export { errorName, lastError } from "./errors"
export { bytesEqual, fromUtf8, now, randomBytes, randomFill, toHex, utf8 } from "./util"
export {
  ABI_VERSION,
  CLOSE_END, CLOSE_ERROR, CLOSE_REFUSED, CLOSE_SHUTDOWN,
  EAGAIN, EBADCONN, ECLOSED, EDENIED, EINVAL, ELIMIT, ENOSPACE, ENOTFOUND,
  LOG_DEBUG, LOG_ERROR, LOG_INFO, LOG_WARN,
  OPEN_INBOUND, OPEN_MESH, OPEN_OUTBOUND
} from "./raw"
