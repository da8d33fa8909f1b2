import type { CommandDef } from './command.ts'

/**
 * yargs' usage messages, made one line that names what was wrong: the word typed, the flag
 * with its dashes, the values accepted. yargs splits "Invalid values" over lines and the CLI
 * prints only the first, which said nothing; "Did you mean status?" did not say what was typed.
 */
export function usageMessage(msg: string, argv: string[], commands: CommandDef[]): string {
  const def = findCommand(argv, commands)
  const name = def ? commandName(def) : undefined
  const prefix = name ? `${name}: ` : ''
  const see = name ? ` (see hypernet-host ${name} --help)` : ' (see hypernet-host --help)'

  if (/^Not enough non-option arguments/.test(msg) && def) {
    const wanted = usageOf(def)
      .split(' ')
      .filter((p) => p.startsWith('<'))
      .join(' ')
    return `${prefix}expected ${wanted}, got nothing${see}`
  }
  const invalid = /Argument: ([\w-]+), Given: (.*), Choices: (.*)/.exec(msg)
  if (invalid) {
    const [, , given, choices] = invalid
    const list = choices.split(', ').map((c) => c.replace(/^"(.*)"$/, '$1'))
    return `${prefix}${given} is not one of ${list.join(', ')}`
  }
  const suggest = /^Did you mean (.+)\?$/.exec(msg)
  if (suggest) return `unknown command ${JSON.stringify(firstWord(argv) ?? '')}; did you mean ${suggest[1]}?`
  const unknown = /^Unknown arguments?: (.*)$/.exec(msg)
  if (unknown) {
    const names = unknown[1].split(', ')
    // yargs names an unknown --dry-run twice, as dry-run and dryRun
    const kept = names.filter((n) => !(/[A-Z]/.test(n) && names.includes(n.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`))))
    const shown = kept.map((n) => (isOption(argv, n) ? (n.length === 1 ? `-${n}` : `--${n}`) : JSON.stringify(n)))
    return `${prefix}unknown ${kept.every((n) => isOption(argv, n)) ? 'option' : 'argument'}${kept.length > 1 ? 's' : ''} ${shown.join(', ')}${see}`
  }
  const missing = /^Missing required arguments?: (.*)$/.exec(msg)
  if (missing) {
    const flags = missing[1].split(', ').map((n) => (n.length === 1 ? `-${n}` : `--${n}`))
    return `${prefix}missing required option${flags.length > 1 ? 's' : ''} ${flags.join(', ')}${see}`
  }
  return msg.split('\n')[0]
}

function usageOf(def: CommandDef): string {
  return Array.isArray(def.command) ? def.command[0] : def.command
}

function commandName(def: CommandDef): string {
  return usageOf(def).split(' ')[0]
}

/** The first word that is not an option or the value of --home (where a command name goes). */
function firstWord(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--home') i++
    else if (!argv[i].startsWith('-')) return argv[i]
  }
  return undefined
}

function isOption(argv: string[], name: string): boolean {
  const flag = name.length === 1 ? `-${name}` : `--${name}`
  return argv.some((a) => a === flag || a.startsWith(flag + '=') || a === `--no-${name}`)
}

function findCommand(argv: string[], commands: CommandDef[]): CommandDef | undefined {
  const names = (def: CommandDef) => (Array.isArray(def.command) ? def.command : [def.command]).map((c) => c.split(' ')[0])
  const word = firstWord(argv)
  return commands.find((d) => word !== undefined && names(d).includes(word))
}
