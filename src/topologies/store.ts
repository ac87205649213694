/**
 * Writes a review's result back, inside the caller's transaction:
 * - `topology_review`: created when the topology has none; otherwise `status`, `notes`,
 *   `conflict_count`, `last_checked_at` updated. When a person has resolved the review
 *   (`resolved_at` set), their `status`, `notes`, `resolved_at` and `resolved_by` are kept; only
 *   `conflict_count`, `last_checked_at` and the findings follow the new check.
 * - `topology_review_findings`: the review's set replaced by the new findings.
 * - `admin_audit_log`: one entry per check (actor_role `system:topology-review`), with outcome,
 *   counts and the first findings: the history of checks lives there.
 *
 * A check older than the one already recorded (`last_checked_at` later than `checkedAt`) writes
 * nothing: jobs may finish out of order, and the newer result stands. Concurrent checks of one
 * topology serialize on the review row (INSERT ... ON CONFLICT, then SELECT ... FOR UPDATE).
 *
 * The legacy tables have no server defaults: every NOT NULL column is supplied here. Times are
 * written as UTC ISO text, which `timestamp without time zone` columns store as UTC whatever
 * the host's time zone.
 */
import type { Knex } from 'knex';
import { RowNotFoundError } from '../errors';
import type { ReviewResult, TopologyFinding } from './types';

export const TOPOLOGY_REVIEW_TABLE = 'topology_review';
export const FINDINGS_TABLE = 'topology_review_findings';
export const AUDIT_TABLE = 'admin_audit_log';
export const AUDIT_ACTOR_ROLE = 'system:topology-review';
export const AUDIT_ACTION = 'topology_review.checked';
const INSERT_CHUNK = 500;
const AUDIT_FINDINGS = 20;

export interface RecordReviewInput {
  topologyId: number;
  result: Pick<ReviewResult, 'outcome' | 'conflictCount' | 'counts' | 'findings' | 'notes'>;
  /** When the check ran; becomes `last_checked_at`. */
  checkedAt: Date;
  /** What caused the check, for the audit entry (event id, job name). */
  trigger?: { eventId?: string; job?: string };
}

export interface RecordedReview {
  reviewId: number;
  /** Whether the review row was created by this call. */
  created: boolean;
  /** The review's status after this call. */
  status: string;
  /** True when a person's resolution kept its status (the outcome was not written to it). */
  statusKept: boolean;
  /**
   * True when the review already holds a later check (`last_checked_at` after `checkedAt`):
   * nothing was written, so a slow, older check never replaces a newer one.
   */
  stale: boolean;
  findingsWritten: number;
  /** The audit entry written; null when the check was stale. */
  auditId: number | null;
}

interface ReviewRow {
  id: number;
  status: string;
  resolved_at: Date | null;
  last_checked_at: Date | null;
}

/**
 * Raised when the topology does not exist. A `RowNotFoundError`, so the queue runtime retries
 * the job for a while (the scheduler may enqueue before its own transaction is visible).
 */
export class TopologyNotFoundError extends RowNotFoundError {
  constructor(topologyId: number, options?: ErrorOptions) {
    super('topology_table', topologyId, options);
    this.message = `topology ${topologyId} does not exist`;
    Object.defineProperty(this, 'name', { value: 'TopologyNotFoundError' });
  }
}

export async function recordReviewOutcome(
  trx: Knex.Transaction,
  input: RecordReviewInput,
): Promise<RecordedReview> {
  const { topologyId, result } = input;
  const at = input.checkedAt.toISOString();

  let inserted: Array<{ id: number }>;
  try {
    inserted = await trx
      .raw<{ rows: Array<{ id: number }> }>(
        `INSERT INTO ${TOPOLOGY_REVIEW_TABLE}
         (topology_id, status, conflict_count, last_checked_at, notes, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (topology_id) DO NOTHING
       RETURNING id`,
        [topologyId, result.outcome, result.conflictCount, at, result.notes, at, at],
      )
      .then((r) => r.rows);
  } catch (error) {
    if ((error as { code?: string }).code === '23503') {
      throw new TopologyNotFoundError(topologyId, { cause: error });
    }
    throw new Error(`could not create the review of topology ${topologyId}`, { cause: error });
  }

  let reviewId: number;
  let status: string = result.outcome;
  let statusKept = false;
  let previousStatus: string | null = null;
  const created = inserted.length === 1;
  if (created) {
    reviewId = (inserted[0] as { id: number }).id;
  } else {
    const row = (await trx(TOPOLOGY_REVIEW_TABLE)
      .where({ topology_id: topologyId })
      .forUpdate()
      .first('id', 'status', 'resolved_at', 'last_checked_at')) as ReviewRow;
    reviewId = row.id;
    previousStatus = row.status;
    if (row.last_checked_at !== null && row.last_checked_at.getTime() > input.checkedAt.getTime()) {
      // A later check has already been recorded (jobs finish out of order): keep it.
      return {
        reviewId,
        created: false,
        status: row.status,
        statusKept: false,
        stale: true,
        findingsWritten: 0,
        auditId: null,
      };
    }
    const update: Record<string, unknown> = {
      conflict_count: result.conflictCount,
      last_checked_at: at,
      updated_at: at,
    };
    if (row.resolved_at === null) {
      update.status = result.outcome;
      update.notes = result.notes;
    } else {
      status = row.status;
      statusKept = true;
    }
    await trx(TOPOLOGY_REVIEW_TABLE).where({ id: reviewId }).update(update);
  }

  await trx(FINDINGS_TABLE).where({ review_id: reviewId }).delete();
  for (let i = 0; i < result.findings.length; i += INSERT_CHUNK) {
    await trx(FINDINGS_TABLE).insert(
      result.findings.slice(i, i + INSERT_CHUNK).map((finding) => findingRow(reviewId, finding, at)),
    );
  }

  const [audit] = await trx(AUDIT_TABLE)
    .insert({
      actor_id: null,
      actor_role: AUDIT_ACTOR_ROLE,
      action: AUDIT_ACTION,
      entity_type: TOPOLOGY_REVIEW_TABLE,
      entity_id: String(reviewId),
      payload: JSON.stringify(auditPayload(input, reviewId, status, previousStatus, statusKept, created)),
      outcome: 'success',
      message: auditMessage(input, status, statusKept),
      created_at: at,
    })
    .returning('id');

  return {
    reviewId,
    created,
    status,
    statusKept,
    stale: false,
    findingsWritten: result.findings.length,
    auditId: (audit as { id: number }).id,
  };
}

function findingRow(reviewId: number, finding: TopologyFinding, at: string) {
  return {
    review_id: reviewId,
    kind: finding.kind,
    severity: finding.severity,
    node_id: finding.nodeId ?? null,
    edge_id: finding.edgeId ?? null,
    device_id: finding.deviceId ?? null,
    message: finding.message,
    detail: JSON.stringify(finding.detail),
    created_at: at,
  };
}

function auditMessage(input: RecordReviewInput, status: string, statusKept: boolean): string {
  const kept = statusKept ? `; status ${JSON.stringify(status)} kept (resolved by a person)` : '';
  return `topology ${input.topologyId} checked: ${input.result.notes}`.slice(0, 900) + kept;
}

function auditPayload(
  input: RecordReviewInput,
  reviewId: number,
  status: string,
  previousStatus: string | null,
  statusKept: boolean,
  created: boolean,
) {
  const kinds = new Map<string, number>();
  for (const finding of input.result.findings) kinds.set(finding.kind, (kinds.get(finding.kind) ?? 0) + 1);
  return {
    topologyId: input.topologyId,
    reviewId,
    outcome: input.result.outcome,
    status,
    previousStatus,
    statusKept,
    created,
    conflictCount: input.result.conflictCount,
    counts: input.result.counts,
    kinds: Object.fromEntries(kinds),
    findings: input.result.findings.slice(0, AUDIT_FINDINGS).map((f) => ({
      kind: f.kind,
      severity: f.severity,
      nodeId: f.nodeId ?? null,
      edgeId: f.edgeId ?? null,
      deviceId: f.deviceId ?? null,
      message: f.message,
    })),
    checkedAt: input.checkedAt.toISOString(),
    trigger: input.trigger ?? null,
  };
}
