/**
 * Manifests: their types, schema validation, signing, loading from disk, the code and service
 * hashes that name running code, and static facts about wasm modules.
 */
export { bridgeServiceHash, codeHash, releaseTopic, serviceHash } from './hashes.ts'
export { manifestFromValue, manifestPathFor, readBounded, readDraftFile, readManifestFile, wasmPathFor } from './load.ts'
export { signApp } from './sign-app.ts'
export { generateKeyPair, signManifest, signedDigest, verifyManifestSignature } from './signing.ts'
export type { KeyPair } from './signing.ts'
export type { Limits, Manifest, ManifestBody, Permissions, ServiceDecl } from './types.ts'
export { validateDraft, validateManifest } from './validate.ts'
export { inspectWasm, readMemoryLimits } from './wasm-module.ts'
export type { WasmFacts } from './wasm-module.ts'
