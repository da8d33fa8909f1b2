/**
 * The exports ABI v1 asks of a plugin. AssemblyScript exports only what the entry file
 * exports, so every plugin's entry file re-exports these with one line:
 *
 *     export * from "@hypernet/sdk/exports"
 */
import { ABI_VERSION, EINVAL } from "./raw"
import { received, reserve } from "./inbox"
import { dispatchClose, dispatchData, dispatchDrain, dispatchOpen } from "./net"
import { dispatchTimer } from "./timers"
import { dispatchStart } from "./start"
import "./runtime"

/** Always 1: the ABI this SDK speaks. */
export function hn_abi_version(): i32 {
  return ABI_VERSION
}

/** Space for `len` incoming bytes, or 0 when `len` is over 1 MiB. */
export function hn_buffer(len: i32): usize {
  return reserve(len)
}

export function hn_on_start(): i32 {
  return dispatchStart()
}

export function hn_on_open(conn: i32, kind: i32, len: i32): i32 {
  const info = received(len)
  if (info === null) return EINVAL
  return dispatchOpen(conn, kind, info)
}

export function hn_on_data(conn: i32, len: i32): i32 {
  const data = received(len)
  if (data === null) return EINVAL
  return dispatchData(conn, data)
}

export function hn_on_close(conn: i32, reason: i32): i32 {
  return dispatchClose(conn, reason)
}

export function hn_on_drain(conn: i32): i32 {
  return dispatchDrain(conn)
}

export function hn_on_timer(id: i32): i32 {
  return dispatchTimer(id)
}
