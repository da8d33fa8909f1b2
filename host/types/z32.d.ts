declare module 'z32' {
  export function encode(buf: Uint8Array | string): string
  export function decode(s: string, out?: Uint8Array): Buffer
  const z32: { encode: typeof encode; decode: typeof decode }
  export default z32
}
