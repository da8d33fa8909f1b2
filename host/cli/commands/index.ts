import type { CommandDef } from '../command.ts'
import { auditCommand } from './audit.ts'
import { bridgeCommand } from './bridge.ts'
import { netcheckCommand } from './netcheck.ts'
import { connectCommand } from './connect.ts'
import { restartCommand, startCommand, statusCommand, stopCommand } from './daemon.ts'
import { demoCommand } from './demo.ts'
import { endorseCommand } from './endorse.ts'
import { firewallCommand } from './firewall.ts'
import { hostsCommand } from './hosts.ts'
import { lookupCommand } from './lookup.ts'
import { newCommand } from './new.ts'
import { devCommand } from './dev.ts'
import { installCommand } from './install.ts'
import { keysCommand } from './keys.ts'
import { kvCommand } from './kv.ts'
import { listCommand } from './list.ts'
import { signCommand } from './sign.ts'
import { trustCommand } from './trust.ts'
import { uninstallCommand } from './uninstall.ts'
import { upgradeCommand } from './upgrade.ts'
import { servingCommand } from './serving.ts'
import { versionCommand } from './version.ts'
import { completionCommand } from './completion.ts'
import { configCommand } from './config.ts'
import { bootstrapCommand } from './bootstrap.ts'
import { logsCommand } from './logs.ts'

/** Every command, in the order `--help` lists them. */
export const commands: CommandDef[] = [
  startCommand,
  demoCommand,
  statusCommand,
  stopCommand,
  restartCommand,
  logsCommand,
  lookupCommand,
  connectCommand,
  kvCommand,
  bridgeCommand,
  netcheckCommand,
  bootstrapCommand,
  configCommand,
  newCommand,
  devCommand,
  keysCommand,
  signCommand,
  endorseCommand,
  auditCommand,
  installCommand,
  upgradeCommand,
  uninstallCommand,
  listCommand,
  trustCommand,
  firewallCommand,
  hostsCommand,
  servingCommand,
  versionCommand,
  completionCommand
]
