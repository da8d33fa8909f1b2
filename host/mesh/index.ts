// Meshes: hosts that run the same service keep connected through a hyperswarm topic.
export { MeshSwarm, createMeshSwarm } from './mesh-swarm.ts'
export type { MeshMembership, MeshSwarmComponents } from './mesh-swarm.ts'
export { MeshStream } from './mesh-stream.ts'
export { meshKeyPair, meshTopic, signHello, verifyHello } from './mesh-keys.ts'
