import * as w from '../../src/serf/messages.js'
import { encodeTags } from '../../src/tags.js'

const resp = { ltime: 7, id: 99, from: 'n2', flags: 0, payload: Buffer.from('pong') }
/** The same values serfcodec (test/interop/serf/serfcodec) encodes with go-msgpack. */
export function samples(): Record<string, Buffer> {
  return {
    join: w.encodeJoin({ ltime: 5, node: 'a' }),
    leave: w.encodeLeave({ ltime: 300, node: 'node-b', prune: true }),
    userEvent: w.encodeUserEvent({ ltime: 70000, name: 'deploy', payload: Buffer.from('v1'), cc: true }),
    pushPull: w.encodePushPull({
      ltime: 9, statusLTimes: new Map([['a', 3]]), leftMembers: ['b'], eventLTime: 4,
      events: [null, { ltime: 1, events: [{ name: 'deploy', payload: Buffer.from('x') }] }], queryLTime: 2,
    }),
    query: w.encodeQuery({
      ltime: 12, id: 123456789, addr: Buffer.from([127, 0, 0, 1]), port: 7946, sourceNode: 'n1',
      filters: [w.encodeNodeFilter(['a', 'b']), w.encodeTagFilter('role', '^serv')], flags: 1, relayFactor: 2,
      timeout: 5_000_000_000, name: 'status', payload: Buffer.from('hi'),
    }),
    queryResponse: w.encodeQueryResponse(resp),
    ack: w.encodeQueryResponse({ ltime: 7, id: 99, from: 'n3', flags: 1, payload: null }),
    nodeFilter: w.encodeNodeFilter(['a', 'b']),
    tagFilter: w.encodeTagFilter('role', '^serv'),
    keyRequest: w.encodeKeyRequest(Buffer.alloc(16, 7)),
    keyResponse: w.encodeKeyResponse({ result: true, message: '', keys: ['BwcHBwcHBwcHBwcHBwcHBw=='], primaryKey: 'BwcHBwcHBwcHBwcHBwcHBw==' }),
    conflictResponse: w.encodeConflictResponse({
      name: 'n1', addr: Buffer.from([127, 0, 0, 1]), port: 7946, tags: { role: 'server' }, status: 1,
      protocolMin: 1, protocolMax: 5, protocolCur: 2, delegateMin: 2, delegateMax: 5, delegateCur: 4,
    }),
    relay: w.encodeRelay({ destIP: Buffer.from([127, 0, 0, 1]), destPort: 7946, destName: 'n1' }, w.encodeQueryResponse(resp)),
    tags: encodeTags({ role: 'nomad' }),
  }
}

