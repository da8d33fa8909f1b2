/**
 * Key files in the home folder: the host identity and publisher keys.
 */
export { createKeyFile, keyPath, loadOrCreateKeyFile, readKeyFile } from './key-file.ts'
