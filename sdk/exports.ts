// The ABI exports (hn_abi_version, hn_buffer, hn_on_*). A plugin's entry file re-exports
// them with `export * from "@hypernet/sdk/exports"`, since only entry-file exports reach
// the wasm module.
export * from './assembly/exports'
