/**
 * One topology check from the database to the database, in the caller's transaction: read the
 * topology, parse it, load its facts, review, record the outcome, refresh its row set in
 * `topology_devices`. What the `topology.*` handlers (and fan-out re-checks) call.
 *
 * Malformed JSON never throws: it is an `invalid` outcome with findings. What throws:
 * `TopologyNotFoundError` (a `RowNotFoundError`: the runtime retries with backoff, the
 * scheduler may not have committed yet), `InvalidPayloadError` for a topology id that is not
 * one, and database errors (the runtime retries the transient ones).
 */
import type { Knex } from 'knex';
import { InvalidPayloadError } from '../errors';
import { refreshTopologyDevices } from './deviceIndex';
import type { TopologyFacts } from './facts';
import { loadTopologyFacts } from './load';
import { type ParseOptions, parseTopology } from './parse';
import { type ReviewDetails, type ReviewOptions, reviewTopology } from './review';
import {
  type RecordedReview,
  type RecordReviewInput,
  recordReviewOutcome,
  TopologyNotFoundError,
} from './store';
import type { ParsedTopology, TopologyFinding } from './types';

const MAX_ID = 2147483647;

/** What a policy hook sees: the same parsed topology and facts the review uses. */
export interface PolicyContext {
  /** The review's transaction, for what the policies need beyond the loaded facts. */
  trx: Knex.Transaction;
  topologyId: number;
  /** `topology_table.name`. */
  name: string;
  requesterId: number;
  graph: ParsedTopology;
  facts: TopologyFacts;
  now: Date;
}

/**
 * The `appliesTo: topology` policies' findings: a list computed beforehand, or a function
 * called with the loaded facts (so the rules engine needs no second load).
 */
export type PolicyFindingsSource =
  | readonly TopologyFinding[]
  | ((context: PolicyContext) => readonly TopologyFinding[] | Promise<readonly TopologyFinding[]>);

export interface ReviewByIdOptions extends Omit<ReviewOptions, 'policyFindings'> {
  policyFindings?: PolicyFindingsSource;
  /** What caused the check, for the audit entry. */
  trigger?: RecordReviewInput['trigger'];
  parse?: ParseOptions;
}

export interface TopologyCheck {
  topologyId: number;
  requesterId: number;
  result: ReviewDetails;
  recorded: RecordedReview;
  /** The device ids the topology names (what `topology_devices` now holds for it). */
  deviceIds: number[];
}

interface TopologyRow {
  id: number;
  user_id: number;
  name: string | null;
  nodes: unknown;
  edges: unknown;
}

export async function reviewTopologyById(
  trx: Knex.Transaction,
  topologyId: number,
  options: ReviewByIdOptions,
): Promise<TopologyCheck> {
  if (!Number.isInteger(topologyId) || topologyId < 1 || topologyId > MAX_ID) {
    throw new InvalidPayloadError(
      `topologyId must be a topology id (1 to ${MAX_ID}), got ${JSON.stringify(topologyId)}`,
    );
  }
  const { now } = options;
  const row = (await trx('topology_table')
    .where({ id: topologyId })
    .first('id', 'user_id', 'name', 'nodes', 'edges')) as TopologyRow | undefined;
  if (!row) throw new TopologyNotFoundError(topologyId);

  const graph = parseTopology({ nodes: row.nodes, edges: row.edges }, options.parse);
  const { facts, deviceIds } = await loadTopologyFacts(
    trx,
    { topologyId, requesterId: row.user_id, graph },
    { now },
  );
  const source = options.policyFindings;
  const policyFindings =
    typeof source === 'function'
      ? await source({
          trx,
          topologyId,
          name: row.name ?? '',
          requesterId: row.user_id,
          graph,
          facts,
          now,
        })
      : source;
  const { trigger, parse: _parse, ...reviewOptions } = options;
  const result = reviewTopology(graph, facts, { ...reviewOptions, policyFindings });
  const recorded = await recordReviewOutcome(trx, { topologyId, result, checkedAt: now, trigger });
  // A stale check (a newer one is recorded) leaves the newer check's index alone too.
  if (!recorded.stale) await refreshTopologyDevices(trx, topologyId, deviceIds);
  return { topologyId, requesterId: row.user_id, result, recorded, deviceIds };
}
