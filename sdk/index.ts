// The package's front door: `import { serve, Handler, ... } from "@hypernet/sdk"`.
// asc resolves a bare package import to <package>/index.ts, so the API lives in assembly/.
export * from './assembly/index'
