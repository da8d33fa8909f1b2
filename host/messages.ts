import c from 'compact-encoding'
import type { Encoding, State } from 'compact-encoding'
import { HypernetError } from './errors.ts'

/**
 * Every compact-encoding struct the host signs or sends, in one module (as hyperdht's
 * lib/messages.js). Each struct starts with a `version`, then a `flags` bitfield for optional
 * fields, then fields in a fixed order. Append-only: a new optional field takes the next flag
 * bit; a breaking change is a new version. Decoders check lengths against the bytes left before
 * allocating and throw BAD_MESSAGE, never crash.
 */

/** Longest string any struct accepts, in bytes; keeps hostile inputs cheap to reject. */
const MAX_STRING = 4096
const MAX_ARRAY = 1024

function checkedString(max = MAX_STRING): Encoding<string> {
  return {
    preencode(state, s) {
      c.string.preencode(state, s)
    },
    encode(state, s) {
      c.string.encode(state, s)
    },
    decode(state) {
      const start = state.start
      const len = c.uint.decode(state)
      if (len > max || len > state.end - state.start) throw badLength('string', len, state)
      state.start = start
      return c.string.decode(state)
    }
  }
}

function checkedArray<T>(enc: Encoding<T>, max = MAX_ARRAY): Encoding<T[]> {
  return {
    preencode(state, a) {
      c.uint.preencode(state, a.length)
      for (const x of a) enc.preencode(state, x)
    },
    encode(state, a) {
      c.uint.encode(state, a.length)
      for (const x of a) enc.encode(state, x)
    },
    decode(state) {
      const len = c.uint.decode(state)
      // every element takes at least one byte, so a longer count is a lie
      if (len > max || len > state.end - state.start) throw badLength('array', len, state)
      const out: T[] = []
      for (let i = 0; i < len; i++) out.push(enc.decode(state))
      return out
    }
  }
}

function badLength(what: string, len: number, state: State): Error {
  return HypernetError.BAD_MESSAGE(`${what} length ${len} exceeds the ${state.end - state.start} bytes left or the limit`)
}

const str = checkedString()

// ---------------------------------------------------------------------------------------------
// Manifest body (the bytes a publisher signs, behind NAMESPACE.MANIFEST)

/** The manifest body with hashes and keys as raw bytes: what the signature covers. */
export interface ManifestBodyWire {
  schema: string
  name: string
  version: string
  description: string | null
  codeHash: Uint8Array
  abi: number
  publisher: Uint8Array
  services: ServiceWire[]
  dial: string[]
  storageQuota: number | null
  timers: boolean
  memoryMiB: number | null
  callTimeoutMs: number | null
  expires: string | null
}

export interface ServiceWire {
  name: string
  port: number
  protocol: string
  description: string | null
}

const MANIFEST_VERSION = 1

// flag bits of manifestBody, in order of addition
const M_DESCRIPTION = 1
const M_STORAGE = 2
const M_TIMERS = 4
const M_MEMORY = 8
const M_TIMEOUT = 16
const M_EXPIRES = 32

const S_DESCRIPTION = 1

export const service: Encoding<ServiceWire> = {
  preencode(state, s) {
    c.uint.preencode(state, 0)
    str.preencode(state, s.name)
    c.uint.preencode(state, s.port)
    str.preencode(state, s.protocol)
    if (s.description !== null) str.preencode(state, s.description)
  },
  encode(state, s) {
    c.uint.encode(state, s.description !== null ? S_DESCRIPTION : 0)
    str.encode(state, s.name)
    c.uint.encode(state, s.port)
    str.encode(state, s.protocol)
    if (s.description !== null) str.encode(state, s.description)
  },
  decode(state) {
    const flags = c.uint.decode(state)
    return {
      name: str.decode(state),
      port: c.uint.decode(state),
      protocol: str.decode(state),
      description: flags & S_DESCRIPTION ? str.decode(state) : null
    }
  }
}

const services = checkedArray(service)
const strings = checkedArray(str)

export const manifestBody: Encoding<ManifestBodyWire> = {
  preencode(state, m) {
    c.uint.preencode(state, MANIFEST_VERSION)
    c.uint.preencode(state, manifestFlags(m))
    str.preencode(state, m.schema)
    str.preencode(state, m.name)
    str.preencode(state, m.version)
    if (m.description !== null) str.preencode(state, m.description)
    c.fixed32.preencode(state, m.codeHash)
    c.uint.preencode(state, m.abi)
    c.fixed32.preencode(state, m.publisher)
    services.preencode(state, m.services)
    strings.preencode(state, m.dial)
    if (m.storageQuota !== null) c.uint.preencode(state, m.storageQuota)
    if (m.memoryMiB !== null) c.uint.preencode(state, m.memoryMiB)
    if (m.callTimeoutMs !== null) c.uint.preencode(state, m.callTimeoutMs)
    if (m.expires !== null) str.preencode(state, m.expires)
  },
  encode(state, m) {
    c.uint.encode(state, MANIFEST_VERSION)
    c.uint.encode(state, manifestFlags(m))
    str.encode(state, m.schema)
    str.encode(state, m.name)
    str.encode(state, m.version)
    if (m.description !== null) str.encode(state, m.description)
    c.fixed32.encode(state, m.codeHash)
    c.uint.encode(state, m.abi)
    c.fixed32.encode(state, m.publisher)
    services.encode(state, m.services)
    strings.encode(state, m.dial)
    if (m.storageQuota !== null) c.uint.encode(state, m.storageQuota)
    if (m.memoryMiB !== null) c.uint.encode(state, m.memoryMiB)
    if (m.callTimeoutMs !== null) c.uint.encode(state, m.callTimeoutMs)
    if (m.expires !== null) str.encode(state, m.expires)
  },
  decode(state) {
    const version = c.uint.decode(state)
    if (version !== MANIFEST_VERSION) throw HypernetError.BAD_MESSAGE(`manifest body version ${version} is not supported (expected ${MANIFEST_VERSION})`)
    const flags = c.uint.decode(state)
    const schema = str.decode(state)
    const name = str.decode(state)
    const ver = str.decode(state)
    const description = flags & M_DESCRIPTION ? str.decode(state) : null
    const codeHash = c.fixed32.decode(state)
    const abi = c.uint.decode(state)
    const publisher = c.fixed32.decode(state)
    return {
      schema,
      name,
      version: ver,
      description,
      codeHash,
      abi,
      publisher,
      services: services.decode(state),
      dial: strings.decode(state),
      storageQuota: flags & M_STORAGE ? c.uint.decode(state) : null,
      timers: (flags & M_TIMERS) !== 0,
      memoryMiB: flags & M_MEMORY ? c.uint.decode(state) : null,
      callTimeoutMs: flags & M_TIMEOUT ? c.uint.decode(state) : null,
      expires: flags & M_EXPIRES ? str.decode(state) : null
    }
  }
}

function manifestFlags(m: ManifestBodyWire): number {
  return (
    (m.description !== null ? M_DESCRIPTION : 0) |
    (m.storageQuota !== null ? M_STORAGE : 0) |
    (m.timers ? M_TIMERS : 0) |
    (m.memoryMiB !== null ? M_MEMORY : 0) |
    (m.callTimeoutMs !== null ? M_TIMEOUT : 0) |
    (m.expires !== null ? M_EXPIRES : 0)
  )
}

/**
 * Decode `buf` as `enc`, requiring every byte to be consumed.
 * Throws BAD_MESSAGE on malformed, truncated or trailing bytes.
 */
export function decodeExact<T>(enc: Encoding<T>, buf: Uint8Array, what: string): T {
  const state = c.state(0, buf.byteLength, buf)
  let value: T
  try {
    value = enc.decode(state)
  } catch (err) {
    if (err instanceof HypernetError) throw err
    throw HypernetError.BAD_MESSAGE(`${what}: malformed (${(err as Error).message})`)
  }
  if (state.start !== state.end) throw HypernetError.BAD_MESSAGE(`${what}: ${state.end - state.start} trailing bytes`)
  return value
}

/** Encode `value` as `enc`. */
export function encode<T>(enc: Encoding<T>, value: T): Buffer {
  return c.encode(enc, value)
}

// ---------------------------------------------------------------------------------------------
// Host descriptor: what a host runs, stored as a HyperDHT mutable record under the host key
// (hyperdht signs it with the host key and a sequence number).

export interface DescriptorServiceWire {
  name: string
  port: number
  /** The service's own connection key. */
  key: Uint8Array
}

export interface DescriptorAppWire {
  codeHash: Uint8Array
  name: string
  version: string
  publisher: Uint8Array
  services: DescriptorServiceWire[]
}

export interface HostDescriptorWire {
  /** The host key; must equal the key the record is stored under. */
  host: Uint8Array
  /** Unix time in seconds when the host wrote it. */
  updated: number
  apps: DescriptorAppWire[]
}

const DESCRIPTOR_VERSION = 1

const descriptorService: Encoding<DescriptorServiceWire> = {
  preencode(state, s) {
    c.uint.preencode(state, 0)
    str.preencode(state, s.name)
    c.uint.preencode(state, s.port)
    c.fixed32.preencode(state, s.key)
  },
  encode(state, s) {
    c.uint.encode(state, 0)
    str.encode(state, s.name)
    c.uint.encode(state, s.port)
    c.fixed32.encode(state, s.key)
  },
  decode(state) {
    c.uint.decode(state) // flags: none defined yet
    return { name: str.decode(state), port: c.uint.decode(state), key: c.fixed32.decode(state) }
  }
}

const descriptorServices = checkedArray(descriptorService, 64)

const descriptorApp: Encoding<DescriptorAppWire> = {
  preencode(state, a) {
    c.uint.preencode(state, 0)
    c.fixed32.preencode(state, a.codeHash)
    str.preencode(state, a.name)
    str.preencode(state, a.version)
    c.fixed32.preencode(state, a.publisher)
    descriptorServices.preencode(state, a.services)
  },
  encode(state, a) {
    c.uint.encode(state, 0)
    c.fixed32.encode(state, a.codeHash)
    str.encode(state, a.name)
    str.encode(state, a.version)
    c.fixed32.encode(state, a.publisher)
    descriptorServices.encode(state, a.services)
  },
  decode(state) {
    c.uint.decode(state)
    return {
      codeHash: c.fixed32.decode(state),
      name: str.decode(state),
      version: str.decode(state),
      publisher: c.fixed32.decode(state),
      services: descriptorServices.decode(state)
    }
  }
}

const descriptorApps = checkedArray(descriptorApp, 256)

export const hostDescriptor: Encoding<HostDescriptorWire> = {
  preencode(state, d) {
    c.uint.preencode(state, DESCRIPTOR_VERSION)
    c.uint.preencode(state, 0)
    c.fixed32.preencode(state, d.host)
    c.uint.preencode(state, d.updated)
    descriptorApps.preencode(state, d.apps)
  },
  encode(state, d) {
    c.uint.encode(state, DESCRIPTOR_VERSION)
    c.uint.encode(state, 0)
    c.fixed32.encode(state, d.host)
    c.uint.encode(state, d.updated)
    descriptorApps.encode(state, d.apps)
  },
  decode(state) {
    const version = c.uint.decode(state)
    if (version !== DESCRIPTOR_VERSION) throw HypernetError.BAD_MESSAGE(`host descriptor version ${version} is not supported (expected ${DESCRIPTOR_VERSION})`)
    c.uint.decode(state)
    return { host: c.fixed32.decode(state), updated: c.uint.decode(state), apps: descriptorApps.decode(state) }
  }
}
