// Types for scripts/build-dist.js, which stays plain JavaScript so `npm run build` runs
// without tsx. Keep in step with the JSDoc there.

/** The build's output folder. */
export const DIST: string

/** Build dist/ from host/: the files written (relative to the root) and the time it took. */
export function buildDist(): Promise<{ files: string[]; ms: number }>
