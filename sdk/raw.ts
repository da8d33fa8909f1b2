// The bare host imports and ABI numbers, for code that must bypass the friendly API
// (test fixtures, other wrappers): `import { hn_send } from "@hypernet/sdk/raw"`.
export * from './assembly/raw'
