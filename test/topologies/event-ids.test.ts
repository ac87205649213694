import assert from 'node:assert/strict';
import { parsePayload } from '../../src/contracts';
import { uuidV5 } from '../../src/queues/event-ids';
import { derivedEventId } from '../../src/topologies/handlers';

describe('topologies/handlers: derived event ids', () => {
  it('are RFC 9562 version 5 UUIDs (the RFC example: www.example.com in the DNS namespace)', () => {
    assert.equal(
      uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'),
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('are the same for the same trigger and key, different otherwise, and valid eventIds', () => {
    const parent = '3d1e5f7a-9b2c-4d4e-8f60-718293a4b5c1';
    const id = derivedEventId(parent, 'topology.recheck:12');
    assert.equal(derivedEventId(parent, 'topology.recheck:12'), id);
    assert.notEqual(derivedEventId(parent, 'topology.recheck:13'), id);
    assert.notEqual(derivedEventId('3d1e5f7a-9b2c-4d4e-8f60-718293a4b5c2', 'topology.recheck:12'), id);
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    parsePayload('topology.recheck', { eventId: id, occurredAt: '2026-11-24T12:00:00Z', topologyId: 12 });
  });
});
