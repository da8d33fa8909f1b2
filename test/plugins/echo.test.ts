import { builtApp } from '../helpers/plugin-apps.ts'
import { echoTests } from '../helpers/echo-suite.ts'

// The AssemblyScript echo (plugins/echo); the C and Rust ones pass the same tests (echo-native.test.ts).
echoTests('echo', () => builtApp('plugins', 'echo'))
