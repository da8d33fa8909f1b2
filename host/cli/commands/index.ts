import type { CommandDef } from '../command.ts'
import { auditCommand } from './audit.ts'
import { installCommand } from './install.ts'
import { keysCommand } from './keys.ts'
import { listCommand } from './list.ts'
import { signCommand } from './sign.ts'
import { trustCommand } from './trust.ts'
import { uninstallCommand } from './uninstall.ts'

/** Every command, in the order `--help` lists them. */
export const commands: CommandDef[] = [keysCommand, signCommand, auditCommand, installCommand, uninstallCommand, listCommand, trustCommand]
