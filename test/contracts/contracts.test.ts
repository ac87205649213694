import assert from 'node:assert/strict';
import {
  completeEvent,
  JOB_NAMES,
  JOBS,
  jobsOfQueue,
  parseJobName,
  parsePayload,
  QUEUE_NAMES,
} from '../../src/contracts';
import { InvalidPayloadError } from '../../src/errors';

const EVENT_ID = '0b0e7c1e-5b1a-4c1e-9a7e-1c2b3d4e5f60';
const AT = '2026-11-24T09:15:00Z';

function problemsOf(name: Parameters<typeof parsePayload>[0], data: unknown): string {
  try {
    parsePayload(name, data);
  } catch (error) {
    assert.ok(error instanceof InvalidPayloadError, `expected InvalidPayloadError, got ${String(error)}`);
    return error.message;
  }
  assert.fail(`payload was accepted: ${JSON.stringify(data)}`);
}

describe('contracts', () => {
  it('names every job <entity>.<verb> and puts each on one of the queues', () => {
    for (const name of JOB_NAMES) {
      assert.match(name, /^(booking|device|topology|rules|rollups)\.[a-z_]+$/);
      assert.ok(QUEUE_NAMES.includes(JOBS[name].queue));
    }
    assert.deepEqual(jobsOfQueue('bookings'), ['booking.created', 'booking.updated', 'booking.cancelled']);
    assert.deepEqual(jobsOfQueue('topologies'), [
      'topology.submitted',
      'topology.updated',
      'topology.recheck',
    ]);
    assert.equal(jobsOfQueue('devices').length, 4);
    assert.deepEqual(jobsOfQueue('maintenance'), [
      'rules.changed',
      'booking.reevaluate',
      'rollups.reconcile',
    ]);
  });

  it('accepts the example of every job', () => {
    for (const name of JOB_NAMES)
      assert.deepEqual(parsePayload(name, JOBS[name].example), JOBS[name].example);
  });

  it('requires eventId and occurredAt on every job', () => {
    for (const name of JOB_NAMES) {
      const { eventId: _e, occurredAt: _o, ...rest } = JOBS[name].example as Record<string, unknown>;
      const message = problemsOf(name, rest);
      assert.match(message, /eventId: missing \(expected a UUID/);
      assert.match(message, /occurredAt: missing \(expected an ISO 8601 date-time with a time zone/);
    }
  });

  it('names the field and the value of a wrong type', () => {
    assert.equal(
      problemsOf('booking.created', { eventId: EVENT_ID, occurredAt: AT, bookingId: 'abc' }),
      'invalid booking.created payload: bookingId: expected a positive integer, got "abc"',
    );
  });

  it('names nested fields by their path', () => {
    const message = problemsOf('booking.updated', {
      eventId: EVENT_ID,
      occurredAt: AT,
      bookingId: 1,
      previous: { deviceId: 0, startTime: '2026-11-25 08:00', endTime: AT },
    });
    assert.match(message, /previous\.deviceId: expected a positive integer, got 0/);
    assert.match(message, /previous\.startTime: expected an ISO 8601 date-time .*, got "2026-11-25 08:00"/);
  });

  it('rejects ids beyond the range of a Postgres integer, fractions and negatives', () => {
    for (const bad of [2 ** 31, 1.5, -3, 0]) {
      assert.match(
        problemsOf('topology.submitted', { eventId: EVENT_ID, occurredAt: AT, topologyId: bad }),
        new RegExp(`topologyId: expected a positive integer, got ${bad}`),
      );
    }
  });

  it('rejects a timestamp without a time zone (naive times are ambiguous)', () => {
    assert.match(
      problemsOf('booking.created', { eventId: EVENT_ID, occurredAt: '2026-11-24T09:15:00', bookingId: 1 }),
      /occurredAt: expected an ISO 8601 date-time with a time zone/,
    );
    assert.doesNotThrow(() =>
      parsePayload('booking.created', {
        eventId: EVENT_ID,
        occurredAt: '2026-11-24T10:15:00.123+01:00',
        bookingId: 1,
      }),
    );
  });

  it('rejects unknown fields, at any depth, naming them', () => {
    const message = problemsOf('device.status_changed', {
      eventId: EVENT_ID,
      occurredAt: AT,
      deviceId: 3,
      previous: { status: 'up', statusCode: 7 },
      bookingID: 12,
    });
    assert.match(message, /previous\.statusCode: unknown field, got 7/);
    assert.match(message, /bookingID: unknown field, got 12/);
  });

  it('says what it got when the payload is not a JSON object', () => {
    for (const [data, shown] of [
      [null, 'null'],
      [[1, 2], '[1,2]'],
      ['{"bookingId":1}', '"{\\"bookingId\\":1}"'],
      [42, '42'],
    ] as const) {
      assert.equal(
        problemsOf('booking.created', data),
        `invalid booking.created payload: payload: expected an object, got ${shown}`,
      );
    }
  });

  it('truncates huge values so a message stays readable', () => {
    const huge = 'x'.repeat(1_000_000);
    const message = problemsOf('device.status_changed', {
      eventId: EVENT_ID,
      occurredAt: AT,
      deviceId: 3,
      previous: { status: huge },
    });
    assert.ok(message.length < 300, `message is ${message.length} characters long`);
    assert.match(
      message,
      /previous\.status: expected a string of at most 50 characters, got "xxx+… \(1000000 characters\)/,
    );
  });

  it('lists at most a few problems of a payload with very many', () => {
    const junk = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`f${i}`, i]));
    const message = problemsOf('booking.created', {
      eventId: EVENT_ID,
      occurredAt: AT,
      bookingId: 1,
      ...junk,
    });
    assert.match(message, /… and 492 more problem\(s\)$/);
    assert.ok(message.length < 1000);
  });

  it('accepts the documented nullable and optional fields', () => {
    assert.doesNotThrow(() =>
      parsePayload('device.maintenance_changed', {
        eventId: EVENT_ID,
        occurredAt: AT,
        deviceId: 3,
        previous: { startsAt: null, endsAt: null },
      }),
    );
    assert.doesNotThrow(() =>
      parsePayload('device.heartbeat', { eventId: EVENT_ID, occurredAt: AT, deviceId: 3 }),
    );
    assert.match(
      problemsOf('device.ownership_changed', {
        eventId: EVENT_ID,
        occurredAt: AT,
        deviceId: 3,
        ownershipId: 4,
        ownerId: 5,
        change: 'stolen',
      }),
      /change: expected one of "assigned", "revoked", got "stolen"/,
    );
  });

  it('rejects unknown job names, listing the known ones', () => {
    assert.throws(
      () => parseJobName('booking.deleted'),
      /unknown job name "booking.deleted": expected one of booking.created/,
    );
  });

  it('fills in eventId and occurredAt for TypeScript producers, keeping given ones', () => {
    const now = new Date('2026-11-24T12:00:00Z');
    const filled = completeEvent('booking.created', { bookingId: 7 }, now);
    assert.match(filled.eventId, /^[0-9a-f-]{36}$/);
    assert.equal(filled.occurredAt, '2026-11-24T12:00:00.000Z');
    assert.equal(completeEvent('booking.created', { bookingId: 7, eventId: EVENT_ID }).eventId, EVENT_ID);
    assert.throws(() => completeEvent('booking.created', { bookingId: -1 }), InvalidPayloadError);
  });
});
