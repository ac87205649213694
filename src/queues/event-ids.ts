/**
 * Derived event ids: the eventId of a job the worker sends itself (a fan-out follow-up, a
 * scheduled run) is computed from what caused it, so that the same cause sends the same job,
 * which BullMQ's jobId and `processed_events` then run once.
 *
 * They are RFC 9562 version 5 UUIDs (SHA-1 of a namespace UUID and a name), written here rather
 * than taken from a package: a few lines of node:crypto, checked against the RFC's example in
 * test/decisions/event-ids.test.ts and test/topologies/event-ids.test.ts.
 */
import { createHash } from 'node:crypto';

/** The namespace of provdb-worker's derived event ids (a fixed, random v4 UUID). */
export const EVENT_ID_NAMESPACE = '6f1d7c52-3b8e-4a6f-9c0d-2e5b8a41f7d3';

function uuidBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`not a UUID: ${JSON.stringify(uuid)}`);
  return Buffer.from(hex, 'hex');
}

/** The version 5 UUID of `name` in `namespace`. */
export function uuidV5(name: string, namespace: string = EVENT_ID_NAMESPACE): string {
  const bytes = createHash('sha1').update(uuidBytes(namespace)).update(name, 'utf8').digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
