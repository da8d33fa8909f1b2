/**
 * Targets for AssemblyScript's three `env` imports, which a Hypernet host does not offer.
 * Build with `--use abort=~lib/@hypernet/sdk/assembly/runtime/hnAbort` (and the same for
 * `trace` and `seed`) so the module imports nothing outside `extism:host/*`.
 */
import { hn_random, LOG_DEBUG, LOG_ERROR } from "./raw"
import { writeLog } from "./log"

/** Replaces `abort`: `throw`, `assert` and runtime errors log at error level, then trap. */
export function hnAbort(message: string | null = null, fileName: string | null = null, line: u32 = 0, column: u32 = 0): void {
  let text = "abort: " + (message !== null ? message : "(no message)")
  if (fileName !== null) text += " at " + fileName + ":" + line.toString() + ":" + column.toString()
  writeLog(LOG_ERROR, text)
  unreachable()
}

/** Replaces `trace`: a debug log line with the numbers appended. */
export function hnTrace(message: string, n: i32 = 0, a0: f64 = 0, a1: f64 = 0, a2: f64 = 0, a3: f64 = 0, a4: f64 = 0): void {
  let text = "trace: " + message
  if (n > 0) text += " " + a0.toString()
  if (n > 1) text += ", " + a1.toString()
  if (n > 2) text += ", " + a2.toString()
  if (n > 3) text += ", " + a3.toString()
  if (n > 4) text += ", " + a4.toString()
  writeLog(LOG_DEBUG, text)
}

/** Replaces `seed` (used once by `Math.random`): 64 bits from the host's random source. */
export function hnSeed(): f64 {
  const bits = memory.data(8)
  hn_random(bits, 8)
  // Math.random reinterprets these bits as its xorshift state, which must not be zero.
  return reinterpret<f64>(load<u64>(bits) | 1)
}
