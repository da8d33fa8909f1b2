import { hn_log, LOG_DEBUG, LOG_ERROR, LOG_INFO, LOG_WARN } from "./raw"

/** @internal Encodes `msg` as UTF-8 and hands it to the host; lines over 4 KiB are cut there. */
export function writeLog(level: i32, msg: string): void {
  const bytes = String.UTF8.encode(msg)
  hn_log(level, changetype<usize>(bytes), bytes.byteLength)
}

/** Log lines through the host, which tags them with the app's name. */
export namespace log {
  export function debug(msg: string): void {
    writeLog(LOG_DEBUG, msg)
  }
  export function info(msg: string): void {
    writeLog(LOG_INFO, msg)
  }
  export function warn(msg: string): void {
    writeLog(LOG_WARN, msg)
  }
  export function error(msg: string): void {
    writeLog(LOG_ERROR, msg)
  }
}
