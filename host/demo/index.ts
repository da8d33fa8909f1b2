/**
 * The example apps the demo installs.
 */
export { installExamples } from './install-examples.ts'
