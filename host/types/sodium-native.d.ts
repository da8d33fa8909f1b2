declare module 'sodium-native' {
  export const crypto_sign_PUBLICKEYBYTES: number
  export const crypto_sign_SECRETKEYBYTES: number
  export const crypto_sign_SEEDBYTES: number
  export const crypto_sign_BYTES: number
  export const crypto_generichash_BYTES: number
  export function crypto_sign_keypair(pk: Uint8Array, sk: Uint8Array): void
  export function crypto_sign_seed_keypair(pk: Uint8Array, sk: Uint8Array, seed: Uint8Array): void
  export function crypto_sign_detached(sig: Uint8Array, msg: Uint8Array, sk: Uint8Array): void
  export function crypto_sign_verify_detached(sig: Uint8Array, msg: Uint8Array, pk: Uint8Array): boolean
  export function crypto_generichash(out: Uint8Array, input: Uint8Array, key?: Uint8Array): void
  export function randombytes_buf(buf: Uint8Array): void
  export function sodium_memzero(buf: Uint8Array): void
  export function sodium_memcmp(a: Uint8Array, b: Uint8Array): boolean
  export function sodium_is_zero(buf: Uint8Array): boolean
  /** Throws when the result is all zeros (a low-order point). */
  export function crypto_scalarmult(q: Uint8Array, n: Uint8Array, p: Uint8Array): void
  export function crypto_scalarmult_base(q: Uint8Array, n: Uint8Array): void
  export function crypto_sign_ed25519_pk_to_curve25519(curvePk: Uint8Array, edPk: Uint8Array): void
  export function crypto_sign_ed25519_sk_to_curve25519(curveSk: Uint8Array, edSk: Uint8Array): void
  export function crypto_stream_xchacha20(c: Uint8Array, n: Uint8Array, k: Uint8Array): void
  export function crypto_stream_xchacha20_xor_ic(c: Uint8Array, m: Uint8Array, n: Uint8Array, ic: number, k: Uint8Array): void
  export function crypto_onetimeauth(out: Uint8Array, input: Uint8Array, k: Uint8Array): void
  export function crypto_onetimeauth_verify(h: Uint8Array, input: Uint8Array, k: Uint8Array): boolean
  export const crypto_box_SEALBYTES: number
  export function crypto_box_seal(c: Uint8Array, m: Uint8Array, pk: Uint8Array): void
  export function crypto_box_seal_open(m: Uint8Array, c: Uint8Array, pk: Uint8Array, sk: Uint8Array): boolean
  /** q = n·p for a 32-byte little-endian scalar n, unclamped; throws on a small-order or invalid point. */
  export function crypto_scalarmult_ed25519_noclamp(q: Uint8Array, n: Uint8Array, p: Uint8Array): void
  /** q = n·B (the base point), unclamped. */
  export function crypto_scalarmult_ed25519_base_noclamp(q: Uint8Array, n: Uint8Array): void
  const sodium: {
    crypto_sign_PUBLICKEYBYTES: number
    crypto_sign_SECRETKEYBYTES: number
    crypto_sign_SEEDBYTES: number
    crypto_sign_BYTES: number
    crypto_generichash_BYTES: number
    crypto_sign_keypair: typeof crypto_sign_keypair
    crypto_sign_seed_keypair: typeof crypto_sign_seed_keypair
    crypto_sign_detached: typeof crypto_sign_detached
    crypto_sign_verify_detached: typeof crypto_sign_verify_detached
    crypto_generichash: typeof crypto_generichash
    randombytes_buf: typeof randombytes_buf
    sodium_memzero: typeof sodium_memzero
    sodium_memcmp: typeof sodium_memcmp
    sodium_is_zero: typeof sodium_is_zero
    crypto_scalarmult: typeof crypto_scalarmult
    crypto_scalarmult_base: typeof crypto_scalarmult_base
    crypto_sign_ed25519_pk_to_curve25519: typeof crypto_sign_ed25519_pk_to_curve25519
    crypto_sign_ed25519_sk_to_curve25519: typeof crypto_sign_ed25519_sk_to_curve25519
    crypto_stream_xchacha20: typeof crypto_stream_xchacha20
    crypto_stream_xchacha20_xor_ic: typeof crypto_stream_xchacha20_xor_ic
    crypto_onetimeauth: typeof crypto_onetimeauth
    crypto_onetimeauth_verify: typeof crypto_onetimeauth_verify
    crypto_box_SEALBYTES: number
    crypto_box_seal: typeof crypto_box_seal
    crypto_box_seal_open: typeof crypto_box_seal_open
    crypto_scalarmult_ed25519_noclamp: typeof crypto_scalarmult_ed25519_noclamp
    crypto_scalarmult_ed25519_base_noclamp: typeof crypto_scalarmult_ed25519_base_noclamp
  }
  export default sodium
}
