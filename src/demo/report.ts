/**
 * What the demo shows after its event stream: everything read back from the demo's database
 * and queues (never from what the demo meant to do), then formatted for a terminal.
 *
 * - jobs processed per queue (completed / failed, from BullMQ);
 * - booking decisions by outcome (`booking_decisions`), with one explained example of each;
 * - the most utilized devices and sites over the lab's range (the rollups' `utilizationBy`);
 * - the reviews of the topologies the stream touched (`topology_review` and its findings).
 */
import type { Knex } from 'knex';
import { QUEUE_NAMES, type QueueName } from '../contracts';
import type { Producer } from '../queues/producer';
import { type UtilizationGroup, utilizationBy } from '../rollups/query';
import type { ScenarioResult } from './scenario';

export interface JobCount {
  queue: QueueName;
  completed: number;
  failed: number;
}

export interface DecisionExample {
  bookingId: number;
  outcome: string;
  trigger: string;
  username: string | null;
  device: string | null;
  startsAt: string;
  endsAt: string;
  /** The reasons' messages, in the order the decision lists them. */
  messages: string[];
}

export interface DecisionReport {
  /** False when this build records no booking decisions (no `booking_decisions` table). */
  available: boolean;
  /** Decision rows by outcome (every evaluation is a row). */
  byOutcome: Array<{ outcome: string; count: number }>;
  examples: DecisionExample[];
}

export interface UtilizationRow {
  label: string;
  devices: number;
  bookedHours: number;
  /** booked / capacity, 0..1; null without capacity. */
  utilization: number | null;
}

export interface ReviewRow {
  topologyId: number;
  name: string;
  status: string;
  conflictCount: number;
  findings: Array<{ severity: string; kind: string; message: string }>;
}

export interface DemoReport {
  jobs: JobCount[];
  decisions: DecisionReport;
  utilization: { from: Date; to: Date; devices: UtilizationRow[]; sites: UtilizationRow[] };
  reviews: ReviewRow[];
}

export async function jobCounts(producer: Producer): Promise<JobCount[]> {
  const out: JobCount[] = [];
  for (const queue of QUEUE_NAMES) {
    const c = await producer.queue(queue).getJobCounts('completed', 'failed');
    out.push({ queue, completed: c.completed ?? 0, failed: c.failed ?? 0 });
  }
  return out;
}

async function hasDecisions(knex: Knex): Promise<boolean> {
  const { rows } = await knex.raw<{ rows: Array<{ t: string | null }> }>(
    `SELECT to_regclass('booking_decisions')::text AS t`,
  );
  return Boolean(rows[0]?.t);
}

/** The latest decision of each booking (none when this build records no decisions). */
export async function latestDecisions(
  knex: Knex,
  bookingIds: readonly number[],
): Promise<Array<{ bookingId: number; outcome: string }>> {
  if (bookingIds.length === 0 || !(await hasDecisions(knex))) return [];
  const rows = (await knex('booking_decisions')
    .distinctOn('booking_id')
    .whereIn('booking_id', [...bookingIds])
    .orderBy([{ column: 'booking_id' }, { column: 'id', order: 'desc' }])
    .select('booking_id', 'outcome')) as Array<{ booking_id: number; outcome: string }>;
  return rows.map((r) => ({ bookingId: r.booking_id, outcome: r.outcome }));
}

const OUTCOME_ORDER = ['allow', 'require_approval', 'deny'];

/**
 * Decisions by outcome; per outcome, the example is the latest decision of the first booking
 * in `preferred` (the stream's bookings, in order) that has one with that outcome, else the
 * outcome's first row.
 */
export async function decisionReport(knex: Knex, preferred: readonly number[]): Promise<DecisionReport> {
  if (!(await hasDecisions(knex))) return { available: false, byOutcome: [], examples: [] };
  const counts = await knex('booking_decisions')
    .select('outcome')
    .count<Array<{ outcome: string; count: string }>>('* as count')
    .groupBy('outcome');
  const byOutcome = counts
    .map((r) => ({ outcome: r.outcome, count: Number(r.count) }))
    .sort((a, b) => OUTCOME_ORDER.indexOf(a.outcome) - OUTCOME_ORDER.indexOf(b.outcome));
  const examples: DecisionExample[] = [];
  for (const { outcome } of byOutcome) {
    const { rows } = await knex.raw<{
      rows: Array<{
        booking_id: number;
        outcome: string;
        trigger: string;
        reasons: Array<{ message?: string }>;
        username: string | null;
        device: string | null;
        start_time: Date;
        end_time: Date;
      }>;
    }>(
      `SELECT d.booking_id, d.outcome, d.trigger, d.reasons, u.username,
              coalesce(dt.polatis_name, 'device ' || dt.id) AS device, b.start_time, b.end_time
         FROM booking_decisions d
         LEFT JOIN booking_table b ON b.booking_id = d.booking_id
         LEFT JOIN user_table u ON u.id = b.user_id
         LEFT JOIN device_table dt ON dt.id = b.device_id
        WHERE d.outcome = ?
        ORDER BY coalesce(array_position(?::int[], d.booking_id), 2147483647), d.id DESC
        LIMIT 1`,
      [outcome, [...preferred]],
    );
    const r = rows[0];
    if (!r) continue;
    examples.push({
      bookingId: r.booking_id,
      outcome: r.outcome,
      trigger: r.trigger,
      username: r.username,
      device: r.device,
      startsAt: r.start_time ? new Date(r.start_time).toISOString() : '',
      endsAt: r.end_time ? new Date(r.end_time).toISOString() : '',
      messages: (Array.isArray(r.reasons) ? r.reasons : []).map((x) => String(x.message ?? '')),
    });
  }
  return { available: true, byOutcome, examples };
}

function utilizationRows(groups: UtilizationGroup[], top: number): UtilizationRow[] {
  return groups
    .filter((g) => g.key !== null && g.utilization !== null)
    .sort((a, b) => (b.utilization ?? 0) - (a.utilization ?? 0) || String(a.key).localeCompare(String(b.key)))
    .slice(0, top)
    .map((g) => ({
      label: g.label ?? String(g.key),
      devices: g.devices,
      bookedHours: Math.round(Number(g.booked_seconds) / 3600),
      utilization: g.utilization,
    }));
}

export async function utilizationReport(
  knex: Knex,
  range: { from: Date; to: Date },
  top = 5,
): Promise<DemoReport['utilization']> {
  const devices = await utilizationBy(knex, 'device', range);
  const sites = await utilizationBy(knex, 'site', range);
  return {
    from: devices.range.from,
    to: devices.range.to,
    devices: utilizationRows(devices.groups, top),
    sites: utilizationRows(sites.groups, top),
  };
}

export async function reviewReport(knex: Knex, topologyIds: readonly number[]): Promise<ReviewRow[]> {
  const reviews = await knex('topology_review as r')
    .join('topology_table as t', 't.id', 'r.topology_id')
    .whereIn('r.topology_id', [...topologyIds])
    .select('r.id', 'r.topology_id', 't.name', 'r.status', 'r.conflict_count')
    .orderBy('r.topology_id');
  const out: ReviewRow[] = [];
  for (const r of reviews as Array<{
    id: number;
    topology_id: number;
    name: string;
    status: string;
    conflict_count: number;
  }>) {
    const findings = (await knex('topology_review_findings')
      .where({ review_id: r.id })
      .orderByRaw(`CASE severity WHEN 'error' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, id`)
      .select('severity', 'kind', 'message')) as ReviewRow['findings'];
    out.push({
      topologyId: r.topology_id,
      name: r.name,
      status: r.status,
      conflictCount: r.conflict_count,
      findings,
    });
  }
  return out;
}

/** Everything the summary shows, read back from the database and the queues. */
export async function buildReport(
  knex: Knex,
  producer: Producer,
  scenario: ScenarioResult,
  range: { from: Date; to: Date },
): Promise<DemoReport> {
  const played = scenario.playedSteps;
  return {
    jobs: await jobCounts(producer),
    decisions: await decisionReport(
      knex,
      played.flatMap((s) => s.decisionBookingIds),
    ),
    utilization: await utilizationReport(knex, range),
    reviews: await reviewReport(
      knex,
      played.flatMap((s) => s.topologyIds),
    ),
  };
}

const pct = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(1)}%`);
const hhmm = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 16)}Z`;
const OUTCOME_LABEL: Record<string, string> = {
  allow: 'allowed',
  require_approval: 'approval required',
  deny: 'denied',
};

/** The summary as text, one section per heading; at most `maxFindings` findings per review. */
export function formatReport(report: DemoReport, metricsUrl: string, maxFindings = 4): string {
  const lines: string[] = [];
  const say = (line = '') => lines.push(line);
  const total = report.jobs.reduce((a, j) => a + j.completed, 0);
  const failed = report.jobs.reduce((a, j) => a + j.failed, 0);
  say(`Jobs processed: ${total} completed, ${failed} failed`);
  for (const j of report.jobs) {
    say(
      `  ${j.queue.padEnd(12)} ${String(j.completed).padStart(4)} completed ${String(j.failed).padStart(3)} failed`,
    );
  }
  say();
  if (!report.decisions.available) {
    say('Booking decisions: none recorded (this build has no booking_decisions table)');
  } else {
    const n = report.decisions.byOutcome.reduce((a, o) => a + o.count, 0);
    say(`Booking decisions: ${n}`);
    for (const o of report.decisions.byOutcome) {
      say(`  ${(OUTCOME_LABEL[o.outcome] ?? o.outcome).padEnd(18)} ${String(o.count).padStart(4)}`);
    }
    for (const e of report.decisions.examples) {
      say();
      say(
        `  Example, ${OUTCOME_LABEL[e.outcome] ?? e.outcome}: booking ${e.bookingId} (${e.username ?? 'unknown user'}, ${e.device ?? 'unknown device'}, ${e.startsAt ? `${hhmm(e.startsAt)}-${hhmm(e.endsAt)}` : 'row deleted'}; ${e.trigger})`,
      );
      if (e.messages.length === 0) say('    no rule fired');
      for (const m of e.messages) say(`    - ${m}`);
    }
  }
  say();
  const u = report.utilization;
  say(`Most utilized, ${hhmm(u.from.toISOString())} to ${hhmm(u.to.toISOString())} (from the rollups)`);
  say('  devices');
  for (const r of u.devices) {
    say(
      `    ${r.label.padEnd(24)} ${pct(r.utilization).padStart(6)}  ${String(r.bookedHours).padStart(5)} h booked`,
    );
  }
  say('  sites');
  for (const r of u.sites) {
    say(
      `    ${r.label.padEnd(24)} ${pct(r.utilization).padStart(6)}  ${String(r.bookedHours).padStart(5)} h booked, ${r.devices} devices`,
    );
  }
  say();
  say('Topology reviews');
  for (const r of report.reviews) {
    say(`  topology ${r.topologyId} "${r.name}": ${r.status}, ${r.findings.length} finding(s)`);
    for (const f of r.findings.slice(0, maxFindings)) say(`    - ${f.severity} ${f.kind}: ${f.message}`);
    if (r.findings.length > maxFindings) say(`    - and ${r.findings.length - maxFindings} more`);
  }
  say();
  say(`Metrics: ${metricsUrl}`);
  return `${lines.join('\n')}\n`;
}
