import assert from 'node:assert/strict';
import { eventId } from '../../src/contracts/common';
import { reevaluationEventId, rulesChangedEventId } from '../../src/decisions/event-ids';
import { uuidV5 } from '../../src/queues/event-ids';

describe('decisions/event-ids', () => {
  it('computes RFC 9562 version 5 UUIDs (the RFC example: www.example.com in the DNS namespace)', () => {
    assert.equal(
      uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8'),
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
  });

  it('derives the same re-evaluation eventId from the same cause, a different one otherwise, each a valid eventId', () => {
    const source = '5b0f1c9e-8d4a-4f3e-9a51-0c6f2e7d1a01';
    const a = reevaluationEventId(source, 'grp-1');
    assert.equal(reevaluationEventId(source, 'grp-1'), a);
    assert.notEqual(reevaluationEventId(source, 'grp-2'), a);
    assert.notEqual(reevaluationEventId('5b0f1c9e-8d4a-4f3e-9a51-0c6f2e7d1a02', 'grp-1'), a);
    assert.ok(eventId.safeParse(a).success, a);
  });

  it('gives workers picking up the same rule change within the same minute one rules.changed eventId', () => {
    const t = new Date('2026-11-24T12:00:10Z');
    const id = rulesChangedEventId('aaaaaaaaaaaa', 'bbbbbbbbbbbb', t);
    assert.equal(rulesChangedEventId('aaaaaaaaaaaa', 'bbbbbbbbbbbb', new Date('2026-11-24T12:00:50Z')), id);
    assert.notEqual(
      rulesChangedEventId('aaaaaaaaaaaa', 'bbbbbbbbbbbb', new Date('2026-11-24T12:01:10Z')),
      id,
    );
    assert.notEqual(
      rulesChangedEventId('bbbbbbbbbbbb', 'aaaaaaaaaaaa', t),
      id,
      'the reverse change is another event',
    );
    assert.notEqual(rulesChangedEventId(null, 'bbbbbbbbbbbb', t), id);
    assert.ok(eventId.safeParse(id).success, id);
  });
});
