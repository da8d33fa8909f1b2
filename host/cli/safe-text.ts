/** Terminal escaping lives in a shared leaf (the log's terminal lines use it too). */
export { safeLines, safeText } from '../util/safe-text.ts'
