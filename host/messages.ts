import c from 'compact-encoding'
import type { Encoding, State } from 'compact-encoding'
import { KV } from './constants.ts'
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
  /** The publisher forbids other hosts to serve this code (flag bit 64); absent: they may. */
  noRedistribute?: boolean
  /** Code hashes this release replaces (flag bit 128); absent: none. */
  supersedes?: Uint8Array[]
  /** Per-plugin quotas the app asks for above the host's defaults (flag bit 256); absent: the defaults. */
  quotas?: QuotasWire
  /** Meshes the app may join, `self/<service>` or a service hash (flag bit 512); absent: none. */
  mesh?: string[]
}

/** limits.dialsInFlight ... bytesOutPerSecond: each present only when asked for (a bit in its own flags). */
export interface QuotasWire {
  dialsInFlight?: number
  dialsPerSecond?: number
  connections?: number
  bytesInPerSecond?: number
  bytesOutPerSecond?: number
  idleTimeoutMs?: number
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
const M_NO_REDISTRIBUTE = 64
const M_SUPERSEDES = 128
const M_QUOTAS = 256
const M_MESH = 512

// the quotas struct's own flag bits, in this order (append-only): one per field present
const QUOTA_FIELDS = ['dialsInFlight', 'dialsPerSecond', 'connections', 'bytesInPerSecond', 'bytesOutPerSecond', 'idleTimeoutMs'] as const

const quotas: Encoding<QuotasWire> = {
  preencode(state, q) {
    c.uint.preencode(state, quotaFlags(q))
    for (const f of QUOTA_FIELDS) if (q[f] !== undefined) c.uint.preencode(state, q[f]!)
  },
  encode(state, q) {
    c.uint.encode(state, quotaFlags(q))
    for (const f of QUOTA_FIELDS) if (q[f] !== undefined) c.uint.encode(state, q[f]!)
  },
  decode(state) {
    const flags = c.uint.decode(state)
    const q: QuotasWire = {}
    QUOTA_FIELDS.forEach((f, i) => {
      if (flags & (1 << i)) q[f] = c.uint.decode(state)
    })
    return q
  }
}

function quotaFlags(q: QuotasWire): number {
  return QUOTA_FIELDS.reduce((flags, f, i) => (q[f] !== undefined ? flags | (1 << i) : flags), 0)
}

function hasQuotas(q: QuotasWire | undefined): q is QuotasWire {
  return q !== undefined && quotaFlags(q) !== 0
}

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
const hashes = checkedArray(c.fixed32, 64)

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
    if (m.supersedes?.length) hashes.preencode(state, m.supersedes)
    if (hasQuotas(m.quotas)) quotas.preencode(state, m.quotas)
    if (m.mesh?.length) strings.preencode(state, m.mesh)
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
    if (m.supersedes?.length) hashes.encode(state, m.supersedes)
    if (hasQuotas(m.quotas)) quotas.encode(state, m.quotas)
    if (m.mesh?.length) strings.encode(state, m.mesh)
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
    const body: ManifestBodyWire = {
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
    // the later fields appear only when set, so older manifests decode exactly as before
    if (flags & M_NO_REDISTRIBUTE) body.noRedistribute = true
    if (flags & M_SUPERSEDES) body.supersedes = hashes.decode(state)
    if (flags & M_QUOTAS) body.quotas = quotas.decode(state)
    if (flags & M_MESH) body.mesh = strings.decode(state)
    return body
  }
}

function manifestFlags(m: ManifestBodyWire): number {
  return (
    (m.description !== null ? M_DESCRIPTION : 0) |
    (m.storageQuota !== null ? M_STORAGE : 0) |
    (m.timers ? M_TIMERS : 0) |
    (m.memoryMiB !== null ? M_MEMORY : 0) |
    (m.callTimeoutMs !== null ? M_TIMEOUT : 0) |
    (m.expires !== null ? M_EXPIRES : 0) |
    (m.noRedistribute ? M_NO_REDISTRIBUTE : 0) |
    (m.supersedes?.length ? M_SUPERSEDES : 0) |
    (hasQuotas(m.quotas) ? M_QUOTAS : 0) |
    (m.mesh?.length ? M_MESH : 0)
  )
}

// ---------------------------------------------------------------------------------------------
// Mesh hello (host/mesh): the first message on a mesh swarm connection, each way

/** "This mesh key is mine": the host key and its ed25519 signature over BLAKE2b-256(NAMESPACE.MESH_HELLO || mesh public key). */
export interface MeshHelloWire {
  host: Uint8Array
  signature: Uint8Array
}

const MESH_HELLO_VERSION = 1

export const meshHello: Encoding<MeshHelloWire> = {
  preencode(state, m) {
    c.uint.preencode(state, MESH_HELLO_VERSION)
    c.uint.preencode(state, 0)
    c.fixed32.preencode(state, m.host)
    c.fixed64.preencode(state, m.signature)
  },
  encode(state, m) {
    c.uint.encode(state, MESH_HELLO_VERSION)
    c.uint.encode(state, 0) // flags: none defined yet
    c.fixed32.encode(state, m.host)
    c.fixed64.encode(state, m.signature)
  },
  decode(state) {
    const version = c.uint.decode(state)
    if (version !== MESH_HELLO_VERSION) throw HypernetError.BAD_MESSAGE(`mesh hello version ${version} is not supported (expected ${MESH_HELLO_VERSION})`)
    c.uint.decode(state) // flags: none defined yet
    return { host: c.fixed32.decode(state), signature: c.fixed64.decode(state) }
  }
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
  /** TCP services this host exposes through bridges (flag bit 1); absent or empty: none. */
  bridges?: DescriptorBridgeWire[]
  /**
   * On the record under the host key only: how many more pages the descriptor has (flag bit
   * 2), each under a key of its own (host/dns/descriptor-page.ts); absent or 0: none.
   */
  pages?: number
  /**
   * On a page only (flag bit 4): which page, under which key, and the host's signature binding
   * that key to `host`. The record is stored and signed under `page.key`, not the host key.
   */
  page?: DescriptorPageWire
}

/** A descriptor page's binding to its host: the host's ed25519 signature over NAMESPACE.DESCRIPTOR_PAGE || page key || index (uint32 LE). */
export interface DescriptorPageWire {
  /** 1 for the first page after the record under the host key. */
  index: number
  key: Uint8Array
  signature: Uint8Array
}

/**
 * An exposed TCP service (`bridge expose`): no code, so its service hash is
 * SHA-256(NAMESPACE.BRIDGE_SERVICE || host key || UTF-8 name), recomputed by readers.
 */
export interface DescriptorBridgeWire {
  name: string
  /** The service's own connection key. */
  key: Uint8Array
}

const DESCRIPTOR_VERSION = 1

// flag bits of hostDescriptor, in order of addition
const D_BRIDGES = 1
const D_PAGES = 2
const D_PAGE = 4

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

const descriptorBridge: Encoding<DescriptorBridgeWire> = {
  preencode(state, b) {
    c.uint.preencode(state, 0)
    str.preencode(state, b.name)
    c.fixed32.preencode(state, b.key)
  },
  encode(state, b) {
    c.uint.encode(state, 0)
    str.encode(state, b.name)
    c.fixed32.encode(state, b.key)
  },
  decode(state) {
    c.uint.decode(state) // flags: none defined yet
    return { name: str.decode(state), key: c.fixed32.decode(state) }
  }
}

const descriptorBridges = checkedArray(descriptorBridge, 64)

const descriptorPage: Encoding<DescriptorPageWire> = {
  preencode(state, p) {
    c.uint.preencode(state, p.index)
    c.fixed32.preencode(state, p.key)
    c.fixed64.preencode(state, p.signature)
  },
  encode(state, p) {
    c.uint.encode(state, p.index)
    c.fixed32.encode(state, p.key)
    c.fixed64.encode(state, p.signature)
  },
  decode(state) {
    return { index: c.uint.decode(state), key: c.fixed32.decode(state), signature: c.fixed64.decode(state) }
  }
}

function descriptorFlags(d: HostDescriptorWire): number {
  return (d.bridges && d.bridges.length > 0 ? D_BRIDGES : 0) | (d.pages ? D_PAGES : 0) | (d.page ? D_PAGE : 0)
}

export const hostDescriptor: Encoding<HostDescriptorWire> = {
  preencode(state, d) {
    c.uint.preencode(state, DESCRIPTOR_VERSION)
    c.uint.preencode(state, descriptorFlags(d))
    c.fixed32.preencode(state, d.host)
    c.uint.preencode(state, d.updated)
    descriptorApps.preencode(state, d.apps)
    const flags = descriptorFlags(d)
    if (flags & D_BRIDGES) descriptorBridges.preencode(state, d.bridges!)
    if (flags & D_PAGES) c.uint.preencode(state, d.pages!)
    if (flags & D_PAGE) descriptorPage.preencode(state, d.page!)
  },
  encode(state, d) {
    const flags = descriptorFlags(d)
    c.uint.encode(state, DESCRIPTOR_VERSION)
    c.uint.encode(state, flags)
    c.fixed32.encode(state, d.host)
    c.uint.encode(state, d.updated)
    descriptorApps.encode(state, d.apps)
    if (flags & D_BRIDGES) descriptorBridges.encode(state, d.bridges!)
    if (flags & D_PAGES) c.uint.encode(state, d.pages!)
    if (flags & D_PAGE) descriptorPage.encode(state, d.page!)
  },
  decode(state) {
    const version = c.uint.decode(state)
    if (version !== DESCRIPTOR_VERSION) throw HypernetError.BAD_MESSAGE(`host descriptor version ${version} is not supported (expected ${DESCRIPTOR_VERSION})`)
    const flags = c.uint.decode(state)
    const d: HostDescriptorWire = { host: c.fixed32.decode(state), updated: c.uint.decode(state), apps: descriptorApps.decode(state) }
    if (flags & D_BRIDGES) d.bridges = descriptorBridges.decode(state)
    if (flags & D_PAGES) d.pages = c.uint.decode(state)
    if (flags & D_PAGE) d.page = descriptorPage.decode(state)
    return d
  }
}

// ---------------------------------------------------------------------------------------------
// Publisher endorsements (host/dns/endorsement.ts): a publisher's signed word that one host runs
// its app, by name or by exact code hash. Stored as a HyperDHT mutable record under a key that
// anyone can derive from the publisher key and the host key, and only the publisher can sign.

/** One thing the publisher says the host runs: an app by name, or one exact code, or both. */
export interface EndorsementGrantWire {
  /** The app name, as in the publisher's manifests (flag bit 1). */
  name: string | null
  /** Exactly this code (flag bit 2). */
  codeHash: Uint8Array | null
}

/** What the publisher signs: BLAKE2b-256(NAMESPACE.ENDORSEMENT || encode(endorsementBody)). */
export interface EndorsementBodyWire {
  publisher: Uint8Array
  host: Uint8Array
  /** Unix seconds. */
  issued: number
  /** Unix seconds; null: until replaced (flag bit 1). */
  expires: number | null
  grants: EndorsementGrantWire[]
}

export interface EndorsementWire extends EndorsementBodyWire {
  /** The publisher key's ed25519 signature over the body (see EndorsementBodyWire). */
  signature: Uint8Array
}

const ENDORSEMENT_VERSION = 1
// flag bits, in order of addition
const E_EXPIRES = 1
const G_NAME = 1
const G_CODE = 2
/** Grants one record holds: it must stay one DHT record (under 1000 bytes). */
export const ENDORSEMENT_MAX_GRANTS = 16

const grantName = checkedString(64)

const endorsementGrant: Encoding<EndorsementGrantWire> = {
  preencode(state, g) {
    c.uint.preencode(state, 0)
    if (g.name !== null) grantName.preencode(state, g.name)
    if (g.codeHash !== null) c.fixed32.preencode(state, g.codeHash)
  },
  encode(state, g) {
    c.uint.encode(state, (g.name !== null ? G_NAME : 0) | (g.codeHash !== null ? G_CODE : 0))
    if (g.name !== null) grantName.encode(state, g.name)
    if (g.codeHash !== null) c.fixed32.encode(state, g.codeHash)
  },
  decode(state) {
    const flags = c.uint.decode(state)
    // signed bytes: a flag this version does not know would be dropped on re-encoding, so refuse it
    if (flags & ~(G_NAME | G_CODE)) throw HypernetError.BAD_MESSAGE(`endorsement grant: unknown flags ${flags}`)
    if ((flags & (G_NAME | G_CODE)) === 0) throw HypernetError.BAD_MESSAGE('endorsement grant: names neither an app nor a code hash')
    return { name: flags & G_NAME ? grantName.decode(state) : null, codeHash: flags & G_CODE ? c.fixed32.decode(state) : null }
  }
}

const endorsementGrants = checkedArray(endorsementGrant, ENDORSEMENT_MAX_GRANTS)

export const endorsementBody: Encoding<EndorsementBodyWire> = {
  preencode(state, e) {
    c.uint.preencode(state, ENDORSEMENT_VERSION)
    c.uint.preencode(state, 0)
    c.fixed32.preencode(state, e.publisher)
    c.fixed32.preencode(state, e.host)
    c.uint.preencode(state, e.issued)
    if (e.expires !== null) c.uint.preencode(state, e.expires)
    endorsementGrants.preencode(state, e.grants)
  },
  encode(state, e) {
    c.uint.encode(state, ENDORSEMENT_VERSION)
    c.uint.encode(state, e.expires !== null ? E_EXPIRES : 0)
    c.fixed32.encode(state, e.publisher)
    c.fixed32.encode(state, e.host)
    c.uint.encode(state, e.issued)
    if (e.expires !== null) c.uint.encode(state, e.expires)
    endorsementGrants.encode(state, e.grants)
  },
  decode(state) {
    const version = c.uint.decode(state)
    if (version !== ENDORSEMENT_VERSION) throw HypernetError.BAD_MESSAGE(`endorsement version ${version} is not supported (expected ${ENDORSEMENT_VERSION})`)
    const flags = c.uint.decode(state)
    if (flags & ~E_EXPIRES) throw HypernetError.BAD_MESSAGE(`endorsement: unknown flags ${flags}`)
    const publisher = c.fixed32.decode(state)
    const host = c.fixed32.decode(state)
    const issued = c.uint.decode(state)
    const expires = flags & E_EXPIRES ? c.uint.decode(state) : null
    return { publisher, host, issued, expires, grants: endorsementGrants.decode(state) }
  }
}

/** The record's value: the body, then the publisher's signature. */
export const endorsement: Encoding<EndorsementWire> = {
  preencode(state, e) {
    endorsementBody.preencode(state, e)
    c.fixed64.preencode(state, e.signature)
  },
  encode(state, e) {
    endorsementBody.encode(state, e)
    c.fixed64.encode(state, e.signature)
  },
  decode(state) {
    const body = endorsementBody.decode(state)
    return { ...body, signature: c.fixed64.decode(state) }
  }
}

// ---------------------------------------------------------------------------------------------
// The DHT key-value store (host/kv/): a record, the bytes its owner signs, and the envelope
// that storing nodes keep. The envelope's fields are HyperDHT's own mutable record (key, seq,
// value, signature), so the same signed bytes are stored by the Hypernet KV plugin and, as a
// mirror, by any plain HyperDHT node.

export interface KvRecordWire {
  /** A removal: carries no value and outranks values of lower or equal seq. */
  tombstone: boolean
  /** The owner's public key (the host identity or a named key). */
  owner: Uint8Array
  /** The key name, 1-64 bytes of UTF-8. */
  key: string
  /** Absent (null) exactly when `tombstone`. */
  value: Uint8Array | null
  /** The owner's ed25519 signature over BLAKE2b-256(NAMESPACE.KV_RECORD || kvSignable). */
  signature: Uint8Array
}

/** What a record's owner signs: the record bound to its address and sequence number. */
export interface KvSignableWire {
  address: Uint8Array
  seq: number
  tombstone: boolean
  owner: Uint8Array
  key: string
  value: Uint8Array | null
}

export interface KvEnvelopeWire {
  /** The record's own public key, derived from the owner's secret and the key name. */
  address: Uint8Array
  seq: number
  /** An encoded kvRecord. */
  record: Uint8Array
  /** The address key's signature, as HyperDHT signs a mutable record (seq, value = record). */
  signature: Uint8Array
}

const KV_VERSION = 1
// flag bits of kvRecord and kvSignable
const KV_TOMBSTONE = 1
// a record is well under this; the envelope refuses more before decoding it
const KV_MAX_RECORD = 2048

function checkedBuffer(max: number): Encoding<Uint8Array> {
  return {
    preencode(state, b) {
      c.buffer.preencode(state, b)
    },
    encode(state, b) {
      c.buffer.encode(state, b)
    },
    decode(state) {
      const start = state.start
      const len = c.uint.decode(state)
      if (len > max || len > state.end - state.start) throw badLength('buffer', len, state)
      state.start = start
      return c.buffer.decode(state)
    }
  }
}

const kvKey = checkedString(KV.maxKeyBytes)
const kvValue = checkedBuffer(KV.maxValueBytes)
const kvRecordBytes = checkedBuffer(KV_MAX_RECORD)

function kvVersion(state: State, what: string): void {
  const version = c.uint.decode(state)
  if (version !== KV_VERSION) throw HypernetError.BAD_MESSAGE(`${what} version ${version} is not supported (expected ${KV_VERSION})`)
}

function kvFlags(tombstone: boolean, value: Uint8Array | null): number {
  if (tombstone !== (value === null)) throw HypernetError.BAD_MESSAGE('a kv record carries a value exactly when it is not a tombstone')
  return tombstone ? KV_TOMBSTONE : 0
}

export const kvRecord: Encoding<KvRecordWire> = {
  preencode(state, r) {
    c.uint.preencode(state, KV_VERSION)
    c.uint.preencode(state, kvFlags(r.tombstone, r.value))
    c.fixed32.preencode(state, r.owner)
    kvKey.preencode(state, r.key)
    if (r.value !== null) kvValue.preencode(state, r.value)
    c.fixed64.preencode(state, r.signature)
  },
  encode(state, r) {
    c.uint.encode(state, KV_VERSION)
    c.uint.encode(state, kvFlags(r.tombstone, r.value))
    c.fixed32.encode(state, r.owner)
    kvKey.encode(state, r.key)
    if (r.value !== null) kvValue.encode(state, r.value)
    c.fixed64.encode(state, r.signature)
  },
  decode(state) {
    kvVersion(state, 'kv record')
    const flags = c.uint.decode(state)
    const tombstone = (flags & KV_TOMBSTONE) !== 0
    const owner = c.fixed32.decode(state)
    const key = kvKey.decode(state)
    const value = tombstone ? null : kvValue.decode(state)
    return { tombstone, owner, key, value, signature: c.fixed64.decode(state) }
  }
}

export const kvSignable: Encoding<KvSignableWire> = {
  preencode(state, s) {
    c.uint.preencode(state, KV_VERSION)
    c.uint.preencode(state, kvFlags(s.tombstone, s.value))
    c.fixed32.preencode(state, s.address)
    c.uint.preencode(state, s.seq)
    c.fixed32.preencode(state, s.owner)
    kvKey.preencode(state, s.key)
    if (s.value !== null) kvValue.preencode(state, s.value)
  },
  encode(state, s) {
    c.uint.encode(state, KV_VERSION)
    c.uint.encode(state, kvFlags(s.tombstone, s.value))
    c.fixed32.encode(state, s.address)
    c.uint.encode(state, s.seq)
    c.fixed32.encode(state, s.owner)
    kvKey.encode(state, s.key)
    if (s.value !== null) kvValue.encode(state, s.value)
  },
  decode(state) {
    kvVersion(state, 'kv signable')
    const flags = c.uint.decode(state)
    const tombstone = (flags & KV_TOMBSTONE) !== 0
    const address = c.fixed32.decode(state)
    const seq = c.uint.decode(state)
    const owner = c.fixed32.decode(state)
    const key = kvKey.decode(state)
    return { address, seq, tombstone, owner, key, value: tombstone ? null : kvValue.decode(state) }
  }
}

export const kvEnvelope: Encoding<KvEnvelopeWire> = {
  preencode(state, e) {
    c.uint.preencode(state, KV_VERSION)
    c.uint.preencode(state, 0)
    c.fixed32.preencode(state, e.address)
    c.uint.preencode(state, e.seq)
    kvRecordBytes.preencode(state, e.record)
    c.fixed64.preencode(state, e.signature)
  },
  encode(state, e) {
    c.uint.encode(state, KV_VERSION)
    c.uint.encode(state, 0)
    c.fixed32.encode(state, e.address)
    c.uint.encode(state, e.seq)
    kvRecordBytes.encode(state, e.record)
    c.fixed64.encode(state, e.signature)
  },
  decode(state) {
    kvVersion(state, 'kv envelope')
    c.uint.decode(state) // flags: none defined yet
    return { address: c.fixed32.decode(state), seq: c.uint.decode(state), record: kvRecordBytes.decode(state), signature: c.fixed64.decode(state) }
  }
}

// ---------------------------------------------------------------------------------------------
// Onion cells (host/onion/). Every link of a circuit (client to relay, relay to relay) carries
// only cells of ONION_CELL_BYTES, so an observer of a link learns how many cells pass, never
// how long a message was. A cell is version, type, then a fixed body. Bodies of CREATE, CREATED
// and DESTROY are small structs padded with zeros; a RELAY body is onion-encrypted (see
// host/onion/onion-layers.ts) and, at the hop that reads it, holds one padded relay message.

export const ONION_CELL_VERSION = 1
export const ONION_CELL_BYTES = 1024
export const ONION_BODY_BYTES = ONION_CELL_BYTES - 2
/** One Poly1305 tag per hop, carried in the RELAY body. */
export const ONION_TAG_BYTES = 16
/** Longest circuit the cell geometry allows: each hop's layer costs the message one tag. */
export const ONION_MAX_HOPS = 3
/** Bytes of the relay message the last hop reads out of a RELAY body. */
export const ONION_MESSAGE_BYTES = ONION_BODY_BYTES - ONION_TAG_BYTES * ONION_MAX_HOPS
/** Largest `data` of one relay message: the message less version, flags, cmd and a u16 length. */
export const ONION_MAX_DATA = ONION_MESSAGE_BYTES - 5

/** Cell types: the second byte of every cell. */
export const CELL = { CREATE: 1, CREATED: 2, RELAY: 3, DESTROY: 4 } as const
/**
 * Relay message commands, in order of addition (append-only: the number is the wire value).
 * TRUNCATED comes from a middle hop whose next hop went away: that hop is then the circuit's
 * last. 8 and on are hidden services (host/onion/hidden-*.ts, README "Hidden services"):
 * a service makes the last hop of a circuit its introduction point (ESTABLISH_INTRO), a client
 * makes another its rendezvous point (ESTABLISH_RENDEZVOUS), asks an introduction point to
 * pass on where that is (INTRODUCE1, seen by the service as INTRODUCE2), and the service meets
 * it there (RENDEZVOUS1; the client hears RENDEZVOUS2), after which the rendezvous point
 * splices DATA and END between the two circuits. PUBLISH and FETCH ask the last hop to store or
 * read a hidden service's signed descriptor in the DHT, so neither end touches the DHT itself.
 * SENDME opens an end's window by that many DATA cells, on a stream whose BEGIN and CONNECTED
 * both said the sender keeps windows (an end of version 1 is never sent one).
 */
export const RELAY_CMD = {
  EXTEND: 1,
  EXTENDED: 2,
  BEGIN: 3,
  CONNECTED: 4,
  DATA: 5,
  END: 6,
  TRUNCATED: 7,
  ESTABLISH_INTRO: 8,
  INTRO_ESTABLISHED: 9,
  ESTABLISH_RENDEZVOUS: 10,
  RENDEZVOUS_ESTABLISHED: 11,
  INTRODUCE1: 12,
  INTRODUCE2: 13,
  INTRODUCE_ACK: 14,
  RENDEZVOUS1: 15,
  RENDEZVOUS2: 16,
  PUBLISH: 17,
  PUBLISHED: 18,
  FETCH: 19,
  FETCHED: 20,
  SENDME: 21
} as const
const RELAY_CMD_MAX = RELAY_CMD.SENDME

export interface OnionCellWire {
  type: number
  /** Exactly ONION_BODY_BYTES. */
  body: Uint8Array
}

const onionBody: Encoding<Uint8Array> = {
  preencode(state) {
    state.end += ONION_BODY_BYTES
  },
  encode(state, b) {
    if (b.byteLength !== ONION_BODY_BYTES) throw HypernetError.INTERNAL(`onion cell body: expected ${ONION_BODY_BYTES} bytes, got ${b.byteLength}`)
    state.buffer!.set(b, state.start)
    state.start += ONION_BODY_BYTES
  },
  decode(state) {
    if (state.end - state.start < ONION_BODY_BYTES)
      throw HypernetError.BAD_MESSAGE(`onion cell body: expected ${ONION_BODY_BYTES} bytes, got ${state.end - state.start}`)
    const b = state.buffer!.subarray(state.start, state.start + ONION_BODY_BYTES)
    state.start += ONION_BODY_BYTES
    return b
  }
}

export const onionCell: Encoding<OnionCellWire> = {
  preencode(state, cell) {
    state.end += 2
    onionBody.preencode(state, cell.body)
  },
  encode(state, cell) {
    c.uint8.encode(state, ONION_CELL_VERSION)
    c.uint8.encode(state, cell.type)
    onionBody.encode(state, cell.body)
  },
  decode(state) {
    if (state.end - state.start !== ONION_CELL_BYTES)
      throw HypernetError.BAD_MESSAGE(`onion cell: expected ${ONION_CELL_BYTES} bytes, got ${state.end - state.start}`)
    const version = c.uint8.decode(state)
    if (version !== ONION_CELL_VERSION) throw HypernetError.BAD_MESSAGE(`onion cell version ${version} is not supported (expected ${ONION_CELL_VERSION})`)
    const type = c.uint8.decode(state)
    if (type < CELL.CREATE || type > CELL.DESTROY) throw HypernetError.BAD_MESSAGE(`onion cell type ${type} is unknown`)
    return { type, body: onionBody.decode(state) }
  }
}

/**
 * `onionCell`'s decoder without the allocations, for a link reading cells in bulk: the type of
 * the cell at `off` (`buf` holds ONION_CELL_BYTES from there), checked as the decoder checks it.
 * @throws BAD_MESSAGE for another version or an unknown type
 */
export function onionCellTypeAt(buf: Uint8Array, off: number): number {
  const version = buf[off]
  if (version !== ONION_CELL_VERSION) throw HypernetError.BAD_MESSAGE(`onion cell version ${version} is not supported (expected ${ONION_CELL_VERSION})`)
  const type = buf[off + 1]
  if (type < CELL.CREATE || type > CELL.DESTROY) throw HypernetError.BAD_MESSAGE(`onion cell type ${type} is unknown`)
  return type
}

/**
 * `onionCell`'s encoder in place: the cell of `type` with `body` at `off` of `buf` (which has
 * ONION_CELL_BYTES free there), the same bytes `encode(onionCell, ...)` gives.
 * @throws INTERNAL when the body is not ONION_BODY_BYTES
 */
export function writeOnionCell(buf: Buffer, off: number, type: number, body: Uint8Array): void {
  if (body.byteLength !== ONION_BODY_BYTES) throw HypernetError.INTERNAL(`onion cell body: expected ${ONION_BODY_BYTES} bytes, got ${body.byteLength}`)
  buf[off] = ONION_CELL_VERSION
  buf[off + 1] = type
  buf.set(body, off + 2)
}

/**
 * `enc` encoded at the start of exactly `size` bytes, zero-filled after it. The decoder reads
 * the struct from the start and skips the rest unread: a RELAY body's padding is not zeros once
 * relays have peeled it.
 */
export function padded<T>(enc: Encoding<T>, size: number, what: string): Encoding<T> {
  return {
    preencode(state) {
      state.end += size
    },
    encode(state, v) {
      const start = state.start
      const inner = c.encode(enc, v)
      if (inner.byteLength > size) throw HypernetError.INTERNAL(`${what}: ${inner.byteLength} bytes do not fit ${size}`)
      state.buffer!.set(inner, start)
      state.buffer!.fill(0, start + inner.byteLength, start + size)
      state.start = start + size
    },
    decode(state) {
      const start = state.start
      if (state.end - start < size) throw HypernetError.BAD_MESSAGE(`${what}: expected ${size} bytes, got ${state.end - start}`)
      const v = enc.decode(c.state(start, start + size, state.buffer))
      state.start = start + size
      return v
    }
  }
}

/** CREATE (the client's ephemeral X25519 key), CREATED and EXTENDED (with the relay's proof). */
export interface OnionHandshakeWire {
  ephemeral: Uint8Array
  /** Set in CREATED and EXTENDED (flag bit 1): proves the relay holds its key. */
  auth: Uint8Array | null
}

const H_AUTH = 1

export const onionHandshake: Encoding<OnionHandshakeWire> = {
  preencode(state, h) {
    state.end += 1
    c.fixed32.preencode(state, h.ephemeral)
    if (h.auth) c.fixed32.preencode(state, h.auth)
  },
  encode(state, h) {
    c.uint8.encode(state, h.auth ? H_AUTH : 0)
    c.fixed32.encode(state, h.ephemeral)
    if (h.auth) c.fixed32.encode(state, h.auth)
  },
  decode(state) {
    const flags = c.uint8.decode(state)
    const ephemeral = c.fixed32.decode(state)
    return { ephemeral, auth: flags & H_AUTH ? c.fixed32.decode(state) : null }
  }
}

/** DESTROY body and END data: why (ONION_REASON in constants.ts). */
export interface OnionReasonWire {
  reason: number
}

export const onionReason: Encoding<OnionReasonWire> = {
  preencode(state) {
    state.end += 2
  },
  encode(state, r) {
    c.uint8.encode(state, 0) // flags: none defined yet
    c.uint8.encode(state, r.reason)
  },
  decode(state) {
    c.uint8.decode(state)
    return { reason: c.uint8.decode(state) }
  }
}

/** EXTEND data: the next relay's key and the client's ephemeral key for it. */
export interface OnionExtendWire {
  relayKey: Uint8Array
  ephemeral: Uint8Array
}

export const onionExtend: Encoding<OnionExtendWire> = {
  preencode(state) {
    state.end += 65
  },
  encode(state, e) {
    c.uint8.encode(state, 0)
    c.fixed32.encode(state, e.relayKey)
    c.fixed32.encode(state, e.ephemeral)
  },
  decode(state) {
    c.uint8.decode(state)
    return { relayKey: c.fixed32.decode(state), ephemeral: c.fixed32.decode(state) }
  }
}

/** BEGIN data: the service key the last hop connects to. */
export interface OnionBeginWire {
  serviceKey: Uint8Array
  /** Flag bit 1: the client keeps stream windows (SENDME); an exit of version 1 ignores it. */
  windows?: boolean
}

const WINDOWS = 1

export const onionBegin: Encoding<OnionBeginWire> = {
  preencode(state) {
    state.end += 33
  },
  encode(state, b) {
    c.uint8.encode(state, b.windows ? WINDOWS : 0)
    c.fixed32.encode(state, b.serviceKey)
  },
  decode(state) {
    const flags = c.uint8.decode(state)
    return { serviceKey: c.fixed32.decode(state), windows: (flags & WINDOWS) !== 0 }
  }
}

/**
 * CONNECTED data: flags, bit 1 when the exit keeps stream windows too. An exit of version 1
 * sends no data at all, which reads as no flags. RENDEZVOUS_ESTABLISHED (bit 1: this rendezvous
 * point passes SENDME on) and RENDEZVOUS2 (bit 1: the service keeps windows) carry the same.
 */
export interface OnionConnectedWire {
  windows: boolean
}

export const onionConnected: Encoding<OnionConnectedWire> = {
  preencode(state) {
    state.end += 1
  },
  encode(state, m) {
    c.uint8.encode(state, m.windows ? WINDOWS : 0)
  },
  decode(state) {
    if (state.start === state.end) return { windows: false }
    return { windows: (c.uint8.decode(state) & WINDOWS) !== 0 }
  }
}

/** SENDME data: how many more DATA cells the receiver of it may send. */
export interface OnionSendmeWire {
  cells: number
}

export const onionSendme: Encoding<OnionSendmeWire> = {
  preencode(state) {
    state.end += 3
  },
  encode(state, m) {
    c.uint8.encode(state, 0) // flags: none defined yet
    c.uint16.encode(state, m.cells)
  },
  decode(state) {
    c.uint8.decode(state)
    return { cells: c.uint16.decode(state) }
  }
}

/** What the last hop of a circuit reads (and writes back): a command and its data. */
export interface OnionMessageWire {
  cmd: number
  data: Uint8Array
}

const ONION_MESSAGE_VERSION = 1

const onionMessageInner: Encoding<OnionMessageWire> = {
  preencode(state, m) {
    state.end += 5 + m.data.byteLength
  },
  encode(state, m) {
    c.uint8.encode(state, ONION_MESSAGE_VERSION)
    c.uint8.encode(state, 0) // flags: none defined yet
    c.uint8.encode(state, m.cmd)
    c.uint16.encode(state, m.data.byteLength)
    state.buffer!.set(m.data, state.start)
    state.start += m.data.byteLength
  },
  decode(state) {
    const version = c.uint8.decode(state)
    if (version !== ONION_MESSAGE_VERSION)
      throw HypernetError.BAD_MESSAGE(`onion message version ${version} is not supported (expected ${ONION_MESSAGE_VERSION})`)
    c.uint8.decode(state)
    const cmd = c.uint8.decode(state)
    if (cmd < RELAY_CMD.EXTEND || cmd > RELAY_CMD_MAX) throw HypernetError.BAD_MESSAGE(`onion message command ${cmd} is unknown`)
    const len = c.uint16.decode(state)
    if (len > ONION_MAX_DATA || len > state.end - state.start) throw badLength('onion message data', len, state)
    const data = state.buffer!.subarray(state.start, state.start + len)
    state.start += len
    return { cmd, data }
  }
}

/** A relay message padded to ONION_MESSAGE_BYTES. */
export const onionMessage = padded(onionMessageInner, ONION_MESSAGE_BYTES, 'onion message')

/**
 * `onionMessage`'s encoder in place: the message (`cmd`, `src[start, end)`) at `off` of `buf`,
 * zero-padded to ONION_MESSAGE_BYTES, the same bytes `encode(onionMessage, ...)` gives, with
 * no allocation (the onion's per-cell path).
 * @throws INTERNAL when the data is longer than ONION_MAX_DATA
 */
export function writeOnionMessage(buf: Buffer, off: number, cmd: number, src: Uint8Array, start = 0, end = src.byteLength): void {
  const len = end - start
  if (len > ONION_MAX_DATA) throw HypernetError.INTERNAL(`onion message data: ${len} bytes do not fit ${ONION_MAX_DATA}`)
  buf[off] = ONION_MESSAGE_VERSION
  buf[off + 1] = 0 // flags: none defined yet
  buf[off + 2] = cmd
  buf.writeUInt16LE(len, off + 3)
  if (Buffer.isBuffer(src)) src.copy(buf, off + 5, start, end)
  else buf.set(src.subarray(start, end), off + 5)
  buf.fill(0, off + 5 + len, off + ONION_MESSAGE_BYTES)
}
/** Bodies of CREATE/CREATED and DESTROY cells. */
export const onionHandshakeBody = padded(onionHandshake, ONION_BODY_BYTES, 'onion handshake body')
export const onionReasonBody = padded(onionReason, ONION_BODY_BYTES, 'onion reason body')

// Hidden services (host/onion/hidden-*.ts). Each struct is the `data` of one relay message, so
// it fits ONION_MAX_DATA; each starts with a flags byte (none defined yet) for appending.

/** ESTABLISH_INTRO: the hidden service's key, and its signature binding it to this hop. */
export interface OnionEstablishIntroWire {
  serviceKey: Uint8Array
  /** ed25519 over BLAKE2b-256(NAMESPACE.ONION_INTRO || hop binding || serviceKey). */
  signature: Uint8Array
}

export const onionEstablishIntro: Encoding<OnionEstablishIntroWire> = {
  preencode(state) {
    state.end += 1 + 32 + 64
  },
  encode(state, e) {
    c.uint8.encode(state, 0)
    c.fixed32.encode(state, e.serviceKey)
    c.fixed64.encode(state, e.signature)
  },
  decode(state) {
    c.uint8.decode(state)
    return { serviceKey: c.fixed32.decode(state), signature: c.fixed64.decode(state) }
  }
}

/** ESTABLISH_RENDEZVOUS and RENDEZVOUS1: the one-time cookie that pairs two circuits. */
export interface OnionCookieWire {
  cookie: Uint8Array
  /**
   * Flag bit 1. In ESTABLISH_RENDEZVOUS: the client keeps stream windows (a rendezvous point of
   * version 2 then answers RENDEZVOUS_ESTABLISHED with the same flag, and passes SENDME on). In
   * RENDEZVOUS1: the service keeps them (passed to the client in RENDEZVOUS2).
   */
  windows?: boolean
}

export const onionCookie: Encoding<OnionCookieWire> = {
  preencode(state) {
    state.end += 33
  },
  encode(state, r) {
    c.uint8.encode(state, r.windows ? WINDOWS : 0)
    c.fixed32.encode(state, r.cookie)
  },
  decode(state) {
    const flags = c.uint8.decode(state)
    return { cookie: c.fixed32.decode(state), windows: (flags & WINDOWS) !== 0 }
  }
}

/** Largest sealed introduction (sodium crypto_box_seal of an OnionIntroductionWire, with room). */
export const ONION_MAX_SEALED = 256

/** INTRODUCE1 (client to introduction point) and INTRODUCE2 (introduction point to service). */
export interface OnionIntroduceWire {
  serviceKey: Uint8Array
  /** An OnionIntroductionWire sealed to the service key: the introduction point cannot read it. */
  sealed: Uint8Array
}

const sealedBytes = checkedBuffer(ONION_MAX_SEALED)

export const onionIntroduce: Encoding<OnionIntroduceWire> = {
  preencode(state, i) {
    state.end += 33
    sealedBytes.preencode(state, i.sealed)
  },
  encode(state, i) {
    c.uint8.encode(state, 0)
    c.fixed32.encode(state, i.serviceKey)
    sealedBytes.encode(state, i.sealed)
  },
  decode(state) {
    c.uint8.decode(state)
    return { serviceKey: c.fixed32.decode(state), sealed: sealedBytes.decode(state) }
  }
}

/** What only the service reads of an introduction: where to meet the client, and how to prove it. */
export interface OnionIntroductionWire {
  /** The rendezvous point's relay key. */
  rendezvousKey: Uint8Array
  cookie: Uint8Array
  /** Flag bit 1: the client keeps stream windows and its rendezvous point passes SENDME on. */
  windows?: boolean
}

export const onionIntroduction: Encoding<OnionIntroductionWire> = {
  preencode(state) {
    state.end += 65
  },
  encode(state, i) {
    c.uint8.encode(state, i.windows ? WINDOWS : 0)
    c.fixed32.encode(state, i.rendezvousKey)
    c.fixed32.encode(state, i.cookie)
  },
  decode(state) {
    const flags = c.uint8.decode(state)
    return { rendezvousKey: c.fixed32.decode(state), cookie: c.fixed32.decode(state), windows: (flags & WINDOWS) !== 0 }
  }
}

/** Largest hidden service descriptor a relay stores or returns. */
export const HIDDEN_DESCRIPTOR_MAX = 512

const descriptorValue = checkedBuffer(HIDDEN_DESCRIPTOR_MAX)

/** PUBLISH (service to last hop) and FETCHED (last hop to client, when found): a signed DHT record. */
export interface OnionRecordWire {
  /** The hidden service key the record is stored under. */
  key: Uint8Array
  seq: number
  /** hyperdht's mutable-record signature over (seq, value) by `key`. */
  signature: Uint8Array
  value: Uint8Array
}

export const onionRecord: Encoding<OnionRecordWire> = {
  preencode(state, r) {
    state.end += 1 + 32
    c.uint.preencode(state, r.seq)
    state.end += 64
    descriptorValue.preencode(state, r.value)
  },
  encode(state, r) {
    c.uint8.encode(state, 0)
    c.fixed32.encode(state, r.key)
    c.uint.encode(state, r.seq)
    c.fixed64.encode(state, r.signature)
    descriptorValue.encode(state, r.value)
  },
  decode(state) {
    c.uint8.decode(state)
    return { key: c.fixed32.decode(state), seq: c.uint.decode(state), signature: c.fixed64.decode(state), value: descriptorValue.decode(state) }
  }
}

/** FETCH: the hidden service key whose descriptor the last hop looks up. */
export interface OnionFetchWire {
  key: Uint8Array
}

export const onionFetch: Encoding<OnionFetchWire> = {
  preencode(state) {
    state.end += 33
  },
  encode(state, f) {
    c.uint8.encode(state, 0)
    c.fixed32.encode(state, f.key)
  },
  decode(state) {
    c.uint8.decode(state)
    return { key: c.fixed32.decode(state) }
  }
}

export const HIDDEN_DESCRIPTOR_VERSION = 1

/**
 * A hidden service descriptor: the value of a HyperDHT mutable record under the hidden service
 * key (so hyperdht's signature by that key covers it), naming the relays that introduce it.
 * It names no host, no address and no service hash.
 */
export interface HiddenDescriptorWire {
  /** Unix seconds when it was made. */
  updated: number
  /** Relay keys of the introduction points. */
  intros: Uint8Array[]
}

const introKeys = checkedArray(c.fixed32, 8)

export const hiddenDescriptor: Encoding<HiddenDescriptorWire> = {
  preencode(state, d) {
    state.end += 2
    c.uint.preencode(state, d.updated)
    introKeys.preencode(state, d.intros)
  },
  encode(state, d) {
    c.uint8.encode(state, HIDDEN_DESCRIPTOR_VERSION)
    c.uint8.encode(state, 0)
    c.uint.encode(state, d.updated)
    introKeys.encode(state, d.intros)
  },
  decode(state) {
    const version = c.uint8.decode(state)
    if (version !== HIDDEN_DESCRIPTOR_VERSION)
      throw HypernetError.BAD_MESSAGE(`hidden service descriptor version ${version} is not supported (expected ${HIDDEN_DESCRIPTOR_VERSION})`)
    c.uint8.decode(state)
    return { updated: c.uint.decode(state), intros: introKeys.decode(state) }
  }
}

// ---------------------------------------------------------------------------------------------
// The apps protocol (host/apps/): hosts serve each other the signed manifest and the code of the
// apps they run, on a protomux channel named APPS_PROTOCOL over a connection to the host key.
// The order of the messages in APPS_MESSAGES is their wire type. Requests carry an id the
// answer repeats, so several can be in flight on one channel.

const APPS_VERSION = 1

/** Largest code chunk one message carries (SERVING.chunkBytes is 256 KiB; room to grow). */
export const APPS_MAX_CHUNK = 1024 * 1024
/** Largest manifest a vendor may send (LIMITS.maxManifestBytes). */
export const APPS_MAX_MANIFEST = 256 * 1024

function versioned<T>(what: string, fields: Encoding<T>): Encoding<T> {
  return {
    preencode(state, m) {
      state.end += 2
      fields.preencode(state, m)
    },
    encode(state, m) {
      c.uint8.encode(state, APPS_VERSION)
      c.uint8.encode(state, 0)
      fields.encode(state, m)
    },
    decode(state) {
      const version = c.uint8.decode(state)
      if (version !== APPS_VERSION) throw HypernetError.BAD_MESSAGE(`${what} version ${version} is not supported (expected ${APPS_VERSION})`)
      c.uint8.decode(state) // flags: none defined yet
      return fields.decode(state)
    }
  }
}

/** 0: ask for the signed manifest of a code hash. */
export interface AppsGetManifestWire {
  id: number
  codeHash: Uint8Array
}

export const appsGetManifest: Encoding<AppsGetManifestWire> = versioned('apps get-manifest', {
  preencode(state, m) {
    c.uint.preencode(state, m.id)
    c.fixed32.preencode(state, m.codeHash)
  },
  encode(state, m) {
    c.uint.encode(state, m.id)
    c.fixed32.encode(state, m.codeHash)
  },
  decode(state) {
    return { id: c.uint.decode(state), codeHash: c.fixed32.decode(state) }
  }
})

/** 1: the manifest, as the JSON the publisher signed, and the module's size in bytes. */
export interface AppsManifestWire {
  id: number
  size: number
  manifest: Uint8Array
}

const manifestBytes = checkedBuffer(APPS_MAX_MANIFEST)

export const appsManifest: Encoding<AppsManifestWire> = versioned('apps manifest', {
  preencode(state, m) {
    c.uint.preencode(state, m.id)
    c.uint.preencode(state, m.size)
    manifestBytes.preencode(state, m.manifest)
  },
  encode(state, m) {
    c.uint.encode(state, m.id)
    c.uint.encode(state, m.size)
    manifestBytes.encode(state, m.manifest)
  },
  decode(state) {
    return { id: c.uint.decode(state), size: c.uint.decode(state), manifest: manifestBytes.decode(state) }
  }
})

/** 2: ask for `length` bytes of a module from `offset`. */
export interface AppsGetCodeWire {
  id: number
  codeHash: Uint8Array
  offset: number
  length: number
}

export const appsGetCode: Encoding<AppsGetCodeWire> = versioned('apps get-code', {
  preencode(state, m) {
    c.uint.preencode(state, m.id)
    c.fixed32.preencode(state, m.codeHash)
    c.uint.preencode(state, m.offset)
    c.uint.preencode(state, m.length)
  },
  encode(state, m) {
    c.uint.encode(state, m.id)
    c.fixed32.encode(state, m.codeHash)
    c.uint.encode(state, m.offset)
    c.uint.encode(state, m.length)
  },
  decode(state) {
    return { id: c.uint.decode(state), codeHash: c.fixed32.decode(state), offset: c.uint.decode(state), length: c.uint.decode(state) }
  }
})

/** 3: bytes of a module from `offset`; a range comes as chunks in order. */
export interface AppsCodeWire {
  id: number
  offset: number
  data: Uint8Array
}

const chunkBytes = checkedBuffer(APPS_MAX_CHUNK)

export const appsCode: Encoding<AppsCodeWire> = versioned('apps code', {
  preencode(state, m) {
    c.uint.preencode(state, m.id)
    c.uint.preencode(state, m.offset)
    chunkBytes.preencode(state, m.data)
  },
  encode(state, m) {
    c.uint.encode(state, m.id)
    c.uint.encode(state, m.offset)
    chunkBytes.encode(state, m.data)
  },
  decode(state) {
    return { id: c.uint.decode(state), offset: c.uint.decode(state), data: chunkBytes.decode(state) }
  }
})

/** 4: a request refused, with a reason from APPS_REFUSAL and words for people. */
export interface AppsRefusedWire {
  id: number
  reason: number
  message: string
}

const refusalText = checkedString(512)

export const appsRefused: Encoding<AppsRefusedWire> = versioned('apps refused', {
  preencode(state, m) {
    c.uint.preencode(state, m.id)
    c.uint.preencode(state, m.reason)
    refusalText.preencode(state, m.message)
  },
  encode(state, m) {
    c.uint.encode(state, m.id)
    c.uint.encode(state, m.reason)
    refusalText.encode(state, m.message)
  },
  decode(state) {
    return { id: c.uint.decode(state), reason: c.uint.decode(state), message: refusalText.decode(state) }
  }
})

/** The apps protocol's messages in wire-type order: append only. */
export const APPS_MESSAGES = [appsGetManifest, appsManifest, appsGetCode, appsCode, appsRefused] as const

// ---------------------------------------------------------------------------------------------
// Bridge flow credit (host/bridge/flow-credits.ts): an encrypted datagram (stream.send), never in
// the byte stream: `HNC1` then the cumulative count of bytes handed to the TCP side, big-endian
// u64. Fixed 12 bytes; the magic is its version.

const CREDIT_MAGIC = Buffer.from('HNC1')
export const BRIDGE_CREDIT_BYTES = 12

export const bridgeCredit: Encoding<number> = {
  preencode(state) {
    state.end += BRIDGE_CREDIT_BYTES
  },
  encode(state, n) {
    const b = Buffer.from(state.buffer!.buffer, state.buffer!.byteOffset + state.start, BRIDGE_CREDIT_BYTES)
    CREDIT_MAGIC.copy(b, 0)
    b.writeBigUInt64BE(BigInt(n), 4)
    state.start += BRIDGE_CREDIT_BYTES
  },
  decode(state) {
    if (state.end - state.start < BRIDGE_CREDIT_BYTES) throw HypernetError.BAD_MESSAGE('bridge credit: truncated')
    const b = Buffer.from(state.buffer!.buffer, state.buffer!.byteOffset + state.start, BRIDGE_CREDIT_BYTES)
    if (!b.subarray(0, 4).equals(CREDIT_MAGIC)) throw HypernetError.BAD_MESSAGE('bridge credit: not HNC1')
    const n = b.readBigUInt64BE(4)
    if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw HypernetError.BAD_MESSAGE('bridge credit: count out of range')
    state.start += BRIDGE_CREDIT_BYTES
    return Number(n)
  }
}
