/**
 * Deterministic event ids for the follow-ups the decisions part fans out (see
 * ../queues/event-ids.ts): the same cause sends the same job, which runs once.
 */
import { uuidV5 } from '../queues/event-ids';

/** The eventId of the re-evaluation of one reservation caused by one event. */
export function reevaluationEventId(sourceEventId: string, groupedBookingId: string): string {
  return uuidV5(`booking.reevaluate:${sourceEventId}:${groupedBookingId}`);
}

/** How long workers reloading the same change count as one `rules.changed` (see docs/rules.md). */
export const RULES_CHANGED_SLOT_MS = 60_000;

/**
 * The eventId of `rules.changed` for a change from one revision to another, seen at `at`: every
 * worker that picks up the same change within the same minute sends the same event.
 */
export function rulesChangedEventId(previousRevision: string | null, revision: string, at: Date): string {
  const slot = Math.floor(at.getTime() / RULES_CHANGED_SLOT_MS);
  return uuidV5(`rules.changed:${previousRevision ?? ''}:${revision}:${slot}`);
}
