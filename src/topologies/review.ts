/**
 * The topology review: a parsed topology plus pre-loaded facts -> findings, outcome, notes.
 * Pure (no I/O, the clock is an option) and linear in the size of the topology: every lookup
 * goes through a Map built once.
 *
 * The admins' `appliesTo: topology` policies are evaluated outside (by the rules engine, on the
 * same facts) and handed in as `policyFindings`; they count like any other finding.
 */
import { checkDevices, DEFAULT_MAINTENANCE_STATUSES, DEFAULT_RETIRED_STATUSES } from './devices';
import type { TopologyFacts } from './facts';
import { detail, type FindingLimits, FindingList, type OmittedFindings } from './findings';
import { decideOutcome, summarize } from './outcome';
import { type PortRange, parsePortRange } from './portRange';
import { checkPorts, type UsedPort } from './ports';
import { resolveDevices } from './resolve';
import { plural } from './text';
import type { ParsedTopology, ReviewResult, TopologyFinding } from './types';
import { activeRequesterBookings, checkBookingConflicts, checkOpticalPaths, noteUnbooked } from './windows';

export const DEFAULT_HORIZON_MS = 7 * 24 * 3600 * 1000;

export interface ReviewOptions extends FindingLimits {
  /** The review's clock. */
  now: Date;
  /** How far ahead of `now` maintenance is reported, in milliseconds (default 7 days). */
  horizonMs?: number;
  /** Findings of the `appliesTo: topology` policies, merged as they are. */
  policyFindings?: readonly TopologyFinding[];
  /** Device statuses meaning retired (default DEFAULT_RETIRED_STATUSES). */
  retiredStatuses?: readonly string[];
  /** Device statuses meaning under maintenance now (default DEFAULT_MAINTENANCE_STATUSES). */
  maintenanceStatuses?: readonly string[];
}

export interface ReviewDetails extends ReviewResult {
  /** Switch ports the topology uses on known devices (what other reviews check against). */
  usedPorts: UsedPort[];
}

const lowerSet = (values: readonly string[]) => new Set(values.map((v) => v.trim().toLowerCase()));

export function reviewTopology(
  graph: ParsedTopology & { omitted?: OmittedFindings },
  facts: TopologyFacts,
  options: ReviewOptions,
): ReviewDetails {
  const findings = new FindingList(options);
  findings.absorb(graph.findings, graph.omitted);

  const resolution = resolveDevices(graph, facts, findings);
  const bookings = activeRequesterBookings(facts, resolution, options.now);
  const ranges = checkDevices(
    resolution,
    facts,
    bookings,
    {
      now: options.now,
      horizonMs: options.horizonMs ?? DEFAULT_HORIZON_MS,
      retiredStatuses: lowerSet(options.retiredStatuses ?? DEFAULT_RETIRED_STATUSES),
      maintenanceStatuses: lowerSet(options.maintenanceStatuses ?? DEFAULT_MAINTENANCE_STATUSES),
    },
    findings,
  );
  const usedPorts = checkPorts(graph, resolution, facts, ranges, findings);
  checkBookingConflicts(facts, resolution, bookings, findings);
  checkOpticalPaths(facts, usedPorts, bookings, findings);
  noteUnbooked(resolution, bookings, findings);
  for (const finding of options.policyFindings ?? []) findings.add(finding);

  const outcome = decideOutcome(findings);
  const kept = [...findings.kept];
  if (findings.omittedTotal > 0) {
    // Not counted itself: it describes the others.
    kept.push({
      kind: 'findings_truncated',
      severity: 'info',
      message: `${plural(findings.omittedTotal, 'more finding')} not listed (${Object.entries(
        findings.omitted.byKind,
      )
        .map(([kind, n]) => `${kind} ${n}`)
        .join(', ')})`.slice(0, 500),
      detail: detail({
        omitted: findings.omittedTotal,
        byKind: { ...findings.omitted.byKind },
        errors: findings.omitted.counts.error,
        warnings: findings.omitted.counts.warning,
        notes: findings.omitted.counts.info,
      }),
    });
  }
  return {
    outcome,
    conflictCount: findings.counts.error,
    counts: { ...findings.counts },
    findings: kept,
    notes: summarize(outcome, findings.counts, findings.kept),
    usedPorts,
  };
}

/**
 * The switch ports a topology uses on known devices, without the rest of the review: what the
 * DB loader computes for each other approved topology to fill `otherTopologyPorts`. Needs only
 * `facts.devices` / `deviceIdsByPolatisName`; ends that cannot be resolved are left out.
 */
export function topologyUsedPorts(
  graph: ParsedTopology,
  facts: Pick<TopologyFacts, 'devices' | 'deviceIdsByPolatisName'>,
): UsedPort[] {
  const scratch = new FindingList({ maxFindings: 0 });
  const resolution = resolveDevices(graph, facts, scratch);
  const ranges = new Map<number, PortRange | null>();
  for (const deviceId of resolution.nodesOfDevice.keys()) {
    const parsed = parsePortRange(facts.devices.get(deviceId)?.polatisPortRange ?? null);
    ranges.set(deviceId, parsed.ok ? parsed.range : null);
  }
  return checkPorts(graph, resolution, facts, ranges, scratch);
}
