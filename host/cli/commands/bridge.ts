import type { CommandDef } from '../command.ts'

/** `bridge listen|expose|remove|list`: TCP programs in and out of Hypernet. */
export const bridgeCommand: CommandDef = {
  command: 'bridge <action> [target]',
  describe: 'bridge TCP and Hypernet: a local port that reaches a service (listen), or a local TCP server published as a service (expose)',
  builder: (y) =>
    y
      .positional('action', { choices: ['listen', 'expose', 'remove', 'list'] as const })
      .positional('target', {
        type: 'string',
        describe: 'listen: service key or hash; expose: host:port of the TCP server; remove: bridge name, host:port or port'
      })
      .option('port', { type: 'string', describe: 'listen: the local TCP port to open' })
      .option('host', { type: 'string', default: '127.0.0.1', describe: 'listen: the local address to open it on' })
      .option('name', { type: 'string', describe: 'expose: the service name to publish it under' })
      .option('anonymous', {
        type: 'boolean',
        describe: 'listen: each connection through a fresh three-hop onion circuit (the service sees a relay, never this host)'
      })
      .option('hidden', {
        type: 'boolean',
        describe: 'listen: the target is a hidden service key; expose: publish as a hidden service (reachable only through onion relays, this host never named)'
      })
      .example('$0 bridge listen 2778…95 --port 8080', 'then: curl http://127.0.0.1:8080/')
      .example('$0 bridge listen 2778…95 --port 8080 --anonymous', 'the same, through onion relays')
      .example('$0 bridge expose 127.0.0.1:3000 --name web', 'any HyperDHT client can reach the server at the printed key')
      .example('$0 bridge expose 127.0.0.1:3000 --name web --hidden', 'the same server as a hidden service: share the printed hidden key')
      .example('$0 bridge listen c41a…7e --port 8080 --hidden', 'a local port to a hidden service')
      .example('$0 bridge remove web', 'stop and forget a bridge'),
  run: async (ctx, args) => (await import('../actions/bridge.ts')).bridge(ctx, args as any)
}
