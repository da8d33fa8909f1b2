import yargs from 'yargs'
import type { Argv } from 'yargs'
import { HypernetError } from '../../errors.ts'
import type { CommandDef } from '../command.ts'
import type { CliContext } from '../context.ts'

/**
 * A shell completion script, made from the command definitions themselves (so it never goes
 * stale): command names and aliases, each command's options, and the choices of its first
 * argument (`keys generate|show`). Static: a TAB never starts Node. zsh runs the bash function
 * through bashcompinit.
 */

interface Completion {
  names: string[]
  options: string[]
  choices: string[]
}

const GLOBAL_OPTIONS = ['--home', '--json', '--quiet', '-q', '--help', '-h']

/** What completes after each command. */
export function completions(defs: CommandDef[]): Completion[] {
  return defs.map((def) => {
    const forms = Array.isArray(def.command) ? def.command : [def.command]
    const names = forms.map((f) => f.split(' ')[0])
    const positionals = forms[0]
      .split(' ')
      .slice(1)
      .map((p) => p.replace(/[<>[\]]/g, ''))
    const y = (def.builder ? def.builder(yargs([]) as Argv) : yargs([])) as unknown as {
      getOptions(): { key: Record<string, unknown>; choices: Record<string, string[]>; boolean: string[]; default: Record<string, unknown> }
    }
    const o = y.getOptions()
    const options = Object.keys(o.key)
      .filter((k) => !positionals.includes(k) && k !== 'help' && k !== 'version')
      .flatMap((k) => (k.length === 1 ? [`-${k}`] : o.boolean.includes(k) && o.default[k] === true ? [`--${k}`, `--no-${k}`] : [`--${k}`]))
    return { names, options, choices: o.choices[positionals[0]] ?? [] }
  })
}

/** The bash completion script (also sourced by zsh). */
export function bashScript(defs: CommandDef[]): string {
  const all = completions(defs)
  const cases = all.map((c) => `    ${c.names.join('|')}) opts="${c.options.join(' ')}"; first="${c.choices.join(' ')}" ;;`).join('\n')
  return `# hypernet-host completion for bash: add to ~/.bashrc
#   source <(hypernet-host completion bash)
_hypernet_host() {
  local cur=\${COMP_WORDS[COMP_CWORD]} cmd="" i opts="" first=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in
      --home) ((i++)) ;;
      -*) ;;
      *) cmd="\${COMP_WORDS[i]}"; break ;;
    esac
  done
  if [[ -z "$cmd" ]]; then
    COMPREPLY=( $(compgen -W "${all.flatMap((c) => c.names).join(' ')} ${GLOBAL_OPTIONS.join(' ')}" -- "$cur") )
    return
  fi
  case "$cmd" in
${cases}
  esac
  COMPREPLY=( $(compgen -W "$opts $first ${GLOBAL_OPTIONS.join(' ')}" -- "$cur") )
}
complete -o default -F _hypernet_host hypernet-host
`
}

/** The zsh script: the bash function, through zsh's bash completion layer. */
export function zshScript(defs: CommandDef[]): string {
  return `# hypernet-host completion for zsh: add to ~/.zshrc
#   source <(hypernet-host completion zsh)
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bashScript(defs)
  .split('\n')
  .filter((l) => !l.startsWith('#'))
  .join('\n')}`
}

/** `completion bash|zsh`. @throws USAGE for another shell */
export async function completion(ctx: CliContext, args: { shell: string }): Promise<void> {
  const { commands } = await import('../commands/index.ts')
  if (args.shell === 'bash') ctx.io.stdout.write(bashScript(commands))
  else if (args.shell === 'zsh') ctx.io.stdout.write(zshScript(commands))
  else throw HypernetError.USAGE(`completion: expected bash or zsh, got ${JSON.stringify(args.shell)}`)
}
