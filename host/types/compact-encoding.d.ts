// compact-encoding 3.x ships no types and @types/compact-encoding describes 2.x.
declare module 'compact-encoding' {
  export interface State {
    start: number
    end: number
    buffer: Uint8Array | null
    cache?: unknown
  }
  export interface Encoding<T> {
    preencode(state: State, value: T): void
    encode(state: State, value: T): void
    decode(state: State): T
  }
  export function state(start?: number, end?: number, buffer?: Uint8Array | null): State
  export function encode<T>(enc: Encoding<T>, value: T): Buffer
  export function decode<T>(enc: Encoding<T>, buffer: Uint8Array): T
  export function array<T>(enc: Encoding<T>): Encoding<T[]>
  export function frame<T>(enc: Encoding<T>): Encoding<T>
  export const uint: Encoding<number>
  export const uint8: Encoding<number>
  export const uint16: Encoding<number>
  export const uint32: Encoding<number>
  export const uint64: Encoding<number>
  export const int: Encoding<number>
  export const bool: Encoding<boolean>
  export const string: Encoding<string>
  export const utf8: Encoding<string>
  export const buffer: Encoding<Uint8Array>
  export const optionalBuffer: Encoding<Uint8Array | null>
  export const raw: Encoding<Uint8Array>
  export const fixed32: Encoding<Uint8Array>
  export const fixed64: Encoding<Uint8Array>
  export const json: Encoding<unknown>
  export const none: Encoding<null>
  const c: {
    state: typeof state
    encode: typeof encode
    decode: typeof decode
    array: typeof array
    frame: typeof frame
    uint: typeof uint
    uint8: typeof uint8
    uint16: typeof uint16
    uint32: typeof uint32
    uint64: typeof uint64
    int: typeof int
    bool: typeof bool
    string: typeof string
    utf8: typeof utf8
    buffer: typeof buffer
    optionalBuffer: typeof optionalBuffer
    raw: typeof raw
    fixed32: typeof fixed32
    fixed64: typeof fixed64
    json: typeof json
    none: typeof none
  }
  export default c
}
