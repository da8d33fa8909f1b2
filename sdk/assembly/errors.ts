import { EAGAIN, EBADCONN, ECLOSED, EDENIED, EINVAL, ELIMIT, ENOSPACE, ENOTFOUND } from "./raw"

// One slot, as errno: calls that answer with a bool or null leave the host's code here.
let last: i32 = 0

/**
 * The return code behind the most recent SDK call that answered `false`, `null` or a
 * negative number (EAGAIN, EDENIED, ...; see raw.ts). Only meaningful right after that call.
 */
export function lastError(): i32 {
  return last
}

/** @internal */
export function setLastError(code: i32): void {
  last = code
}

/** The ABI name of a return code ("EDENIED"), or its number as text when it is not one. */
export function errorName(code: i32): string {
  switch (code) {
    case EINVAL: return "EINVAL"
    case EDENIED: return "EDENIED"
    case EBADCONN: return "EBADCONN"
    case EAGAIN: return "EAGAIN"
    case ENOSPACE: return "ENOSPACE"
    case ENOTFOUND: return "ENOTFOUND"
    case ELIMIT: return "ELIMIT"
    case ECLOSED: return "ECLOSED"
  }
  return code.toString()
}
