/**
 * The command line: the root parser (main.ts) lists the commands, one module per command
 * (commands/) with a lazily loaded handler (actions/).
 */
export { runCli } from './main.ts'
