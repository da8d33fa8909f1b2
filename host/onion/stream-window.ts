import { ONION } from '../constants.ts'
import { HypernetError } from '../errors.ts'

/**
 * One end's flow control on an onion stream, as Tor's SENDME windows: it may send
 * `windowCells` DATA cells ahead of the other end's acknowledgements, and acknowledges what it
 * took in by `sendmeCells`. Pausing a HyperDHT stream does not stop its sender (nothing below
 * says "stop"), so this is what bounds what a stream's end and the relays between hold for it.
 */
export class StreamWindow {
  private sendable: number
  private unacked = 0

  constructor(
    private readonly windowCells: number = ONION.windowCells,
    private readonly sendmeCells: number = ONION.sendmeCells
  ) {
    this.sendable = windowCells
  }

  /** Whether a DATA cell may go now. */
  get open(): boolean {
    return this.sendable > 0
  }

  /** Count one DATA cell sent. */
  sent(): void {
    this.sendable--
  }

  /**
   * A SENDME came: `cells` more may go.
   * @throws BAD_MESSAGE when it acknowledges cells never sent (the window would pass its size)
   */
  grant(cells: number): void {
    if (cells < 1 || this.sendable + cells > this.windowCells)
      throw HypernetError.BAD_MESSAGE(`SENDME of ${cells} cells: expected at most ${this.windowCells - this.sendable}, the cells sent and not yet acknowledged`)
    this.sendable += cells
  }

  /**
   * Count one DATA cell received.
   * @throws BAD_MESSAGE when the other end sent past its window
   */
  received(): void {
    if (++this.unacked > this.windowCells) throw HypernetError.BAD_MESSAGE(`DATA past the window: more than ${this.windowCells} cells not yet acknowledged`)
  }

  /** SENDMEs owed now that what was received is taken (each acknowledges `sendmeCells`). */
  due(): number {
    const n = Math.floor(this.unacked / this.sendmeCells)
    this.unacked -= n * this.sendmeCells
    return n
  }

  /** How many cells one SENDME acknowledges. */
  get cellsPerSendme(): number {
    return this.sendmeCells
  }
}
