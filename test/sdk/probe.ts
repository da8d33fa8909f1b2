// @ts-nocheck: AssemblyScript, built by test/sdk/sdk.test.ts; the root tsc must not check it.
// A plugin that runs one SDK call per line it receives and answers with the result, so the
// SDK's API can be tested through the real ABI. Commands: see `run`.
import {
  Connection,
  Handler,
  connect,
  errorName,
  fromUtf8,
  lastError,
  log,
  mesh,
  now,
  onStart,
  randomBytes,
  serve,
  storage,
  timers,
  toHex
} from '@hypernet/sdk'
export * from '@hypernet/sdk/exports'

let control: Connection | null = null
let startedAt: f64 = 0

function say(text: string): void {
  if (control !== null) control!.sendString(text + '\n')
}

function fired(id: i32): void {
  say('fired ' + id.toString())
}

class Dialled extends Handler {
  onOpen(conn: Connection): void {
    say('open ' + conn.id.toString() + ' ' + conn.service + ' ' + toHex(conn.peer).substring(0, 4))
  }
  onClose(conn: Connection, reason: i32): void {
    say('close ' + conn.id.toString() + ' ' + reason.toString())
  }
}

/** One per connection (a factory's handler): counts the bytes of its own connection only. */
class Session extends Handler {
  bytes: i32 = 0
  constructor(public conn: Connection) {
    super()
  }
  onOpen(conn: Connection): void {
    say(
      'session ' +
        conn.id.toString() +
        (conn.mesh ? ' mesh ' + conn.target : ' service ' + conn.service) +
        ' ' +
        toHex(conn.peer).substring(0, 4) +
        (conn === this.conn ? ' same' : ' other')
    )
  }
  onData(conn: Connection, data: Uint8Array): void {
    this.bytes += data.length
    conn.sendString(this.bytes.toString() + '\n')
  }
  onClose(conn: Connection, reason: i32): void {
    say('gone ' + conn.id.toString() + ' ' + reason.toString())
  }
}

function run(words: string[]): string {
  const cmd = words[0]
  if (cmd == 'started') return startedAt > 0 ? 'yes' : 'no'
  if (cmd == 'after') return timers.after(I32.parseInt(words[1]), fired).toString()
  if (cmd == 'every') return timers.every(I32.parseInt(words[1]), fired).toString()
  if (cmd == 'clear') return timers.clear(I32.parseInt(words[1])).toString()
  if (cmd == 'put') return storage.put(words[1], words[2]).toString()
  if (cmd == 'get') {
    const v = storage.getString(words[1])
    return v !== null ? 'value ' + v : 'null ' + errorName(lastError())
  }
  if (cmd == 'getbig') {
    const v = storage.get(words[1])
    return v !== null ? 'bytes ' + v.length.toString() : 'null ' + errorName(lastError())
  }
  if (cmd == 'putbig') {
    const v = new Uint8Array(I32.parseInt(words[2])).fill(0x42)
    return storage.put(words[1], v).toString()
  }
  if (cmd == 'remove') return storage.remove(words[1]).toString()
  if (cmd == 'random') return randomBytes(I32.parseInt(words[1])).length.toString()
  if (cmd == 'mathrandom') {
    const r = Math.random()
    return r >= 0 && r < 1 ? 'ok' : 'bad'
  }
  if (cmd == 'now') return now() > 1.5e12 ? 'ok' : 'bad'
  if (cmd == 'connect') return connect(words[1], new Dialled()).toString()
  if (cmd == 'join') return mesh.join(words[1], (conn: Connection): Handler => new Session(conn)).toString()
  if (cmd == 'leave') {
    const rc = mesh.leave(words[1])
    return rc < 0 ? errorName(rc) : rc.toString()
  }
  if (cmd == 'trace') {
    trace('traced', 2, 1.5, 2)
    return 'ok'
  }
  if (cmd == 'abort') {
    abort('probe gave up')
    return 'unreachable'
  }
  if (cmd == 'throw') throw new Error('probe threw')
  return 'unknown ' + cmd
}

class Probe extends Handler {
  onOpen(conn: Connection): void {
    control = conn
  }
  onData(conn: Connection, data: Uint8Array): void {
    const lines = fromUtf8(data).trimEnd().split('\n')
    for (let i = 0; i < lines.length; i++) say(run(lines[i].split(' ')))
  }
}

serve('probe', new Probe())
serve('session', (conn: Connection): Handler => new Session(conn))
onStart((): void => {
  startedAt = now()
  log.info('probe started')
})
