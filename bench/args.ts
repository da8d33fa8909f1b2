/**
 * The bench's options and their parsing. Defaults keep a full run near four minutes on a
 * 2-core machine; `--quick` shrinks every size so the test suite can run every row.
 */

export interface BenchOptions {
  quick: boolean
  json: boolean
  /** Print a Markdown table (for the README) instead of the terminal table. */
  markdown: boolean
  /** Rounds per measurement; the table shows their median. */
  rounds: number
  /** Concurrent clients for the scale row. */
  clients: number
  /** Clients served in turn in the many-clients row. */
  clientsTotal: number
  /** Echo round trips each scale client makes. */
  echoes: number
  /** DHT sizes (nodes) for the lookup row. */
  sizes: number[]
  /** Idle plugins loaded for the memory row. */
  plugins: number[]
  /** Apps installed (all on demand) for the many-apps row. */
  apps: number
  /** MiB moved per throughput measurement. */
  mib: number
  /** Size of the generated plugin for the install row, in MiB. */
  pluginMib: number
  /** Rows 1-3 from a client in a child process (as a remote client) instead of this one. */
  clientProcess: boolean
  /** Row groups to run (1-16); all when empty. */
  only: number[]
  help: boolean
}

export const DEFAULTS: BenchOptions = {
  quick: false,
  json: false,
  markdown: false,
  rounds: 7,
  clients: 1000,
  clientsTotal: 10_000,
  echoes: 5,
  sizes: [10, 50, 100],
  plugins: [1, 10, 50],
  apps: 1000,
  mib: 32,
  pluginMib: 1,
  clientProcess: false,
  only: [],
  help: false
}

/** What --quick changes (explicit flags still win). */
const QUICK: Partial<BenchOptions> = { rounds: 2, clients: 20, clientsTotal: 40, echoes: 2, sizes: [10], plugins: [1, 2], apps: 10, mib: 2 }

export const USAGE = `usage: npm run bench -- [options]

  --quick            every row with tiny sizes (what the test suite runs)
  --json             print the results as JSON instead of a table
  --markdown         print a Markdown table (the README's) instead
  --rounds N         rounds per measurement, median shown (default ${DEFAULTS.rounds})
  --clients N        concurrent clients in the scale row (default ${DEFAULTS.clients})
  --clients-total N  clients served in turn in the many-clients row (default ${DEFAULTS.clientsTotal})
  --echoes N         round trips per scale client (default ${DEFAULTS.echoes})
  --sizes A,B,C      DHT sizes for the lookup row (default ${DEFAULTS.sizes.join(',')})
  --plugins A,B,C    idle plugins for the memory row (default ${DEFAULTS.plugins.join(',')})
  --apps N           apps installed, on demand, in the many-apps row (default ${DEFAULTS.apps})
  --mib N            MiB per throughput measurement (default ${DEFAULTS.mib})
  --plugin-mib N     size of the generated plugin in the install row (default ${DEFAULTS.pluginMib})
  --client-process   rows 1-3 from a client in its own process (default: in this one)
  --only 1,4,7       run only these rows (1-16)
`

/**
 * Parse argv (without node and the script).
 * @throws Error naming the flag and the value when a value is missing or not a positive number
 */
export function parseBenchArgs(argv: string[]): BenchOptions {
  const quick = argv.includes('--quick')
  const o: BenchOptions = { ...DEFAULTS, ...(quick ? QUICK : {}), quick }
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]
    const value = (): string => {
      const v = argv[++i]
      if (v === undefined) throw new Error(`${flag}: expected a value, got nothing`)
      return v
    }
    switch (flag) {
      case '--quick':
        break
      case '--json':
        o.json = true
        break
      case '--markdown':
        o.markdown = true
        break
      case '--client-process':
        o.clientProcess = true
        break
      case '--help':
      case '-h':
        o.help = true
        break
      case '--rounds':
        o.rounds = positive(flag, value())
        break
      case '--clients':
        o.clients = positive(flag, value())
        break
      case '--clients-total':
        o.clientsTotal = Math.floor(positive(flag, value()))
        break
      case '--echoes':
        o.echoes = positive(flag, value())
        break
      case '--apps':
        o.apps = Math.floor(positive(flag, value()))
        break
      case '--mib':
        o.mib = positive(flag, value())
        break
      case '--plugin-mib':
        o.pluginMib = positive(flag, value())
        break
      case '--sizes':
        o.sizes = list(flag, value())
        break
      case '--plugins':
        o.plugins = list(flag, value())
        break
      case '--only':
        o.only = list(flag, value())
        break
      default:
        throw new Error(`unknown option ${JSON.stringify(flag)} (try --help)`)
    }
  }
  return o
}

function positive(flag: string, s: string): number {
  const n = Number(s)
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag}: expected a positive number, got ${JSON.stringify(s)}`)
  return n
}

function list(flag: string, s: string): number[] {
  return s
    .split(',')
    .filter(Boolean)
    .map((x) => Math.floor(positive(flag, x)))
}
