/**
 * Rule evaluation throughput with the shipped policies over static facts: what replay (many
 * stored bookings, facts loaded in bulk) can reach on the CPU side. Also the cost of building
 * the per-evaluation Engine on its own.
 *
 *   npm run bench:rules            (or: npx tsx bench/rules-eval.ts [seconds per measure])
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { buildEngine, evaluate } from '../src/rules/evaluate';
import type { BookingFacts } from '../src/rules/facts/catalog';
import { evaluateGroup } from '../src/rules/group';
import { loadRuleSet } from '../src/rules/load';
import { mergeFacts } from '../src/rules/rule-tests';

const RULES_DIR = path.resolve(__dirname, '../rules');
const seconds = Number(process.argv[2] ?? 2);

async function measure(label: string, batch: number, fn: () => Promise<unknown> | unknown): Promise<number> {
  // Warm up, then run batches until the time is up.
  for (let i = 0; i < 200; i += 1) await fn();
  const started = process.hrtime.bigint();
  let count = 0;
  const deadline = started + BigInt(Math.round(seconds * 1e9));
  while (process.hrtime.bigint() < deadline) {
    if (batch === 1) await fn();
    else await Promise.all(Array.from({ length: batch }, fn));
    count += batch;
  }
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  const rate = count / elapsed;
  console.log(
    `${label.padEnd(58)} ${rate.toFixed(0).padStart(8)} /s  ${((1e6 * elapsed) / count).toFixed(1).padStart(7)} µs each`,
  );
  return rate;
}

async function main(): Promise<void> {
  const loaded = await loadRuleSet(RULES_DIR);
  if (!loaded.ok) throw new Error('the shipped rules are invalid: run `provdb-worker rules check`');
  const { snapshot } = loaded;
  const base = JSON.parse(readFileSync(path.join(RULES_DIR, 'tests/facts/clean-booking.json'), 'utf8'));
  const variants = [
    {},
    { conflicts: { count: 1, bookingIds: [4650] } },
    { ownership: { ownerIds: [3], ownerNames: ['jchen'], ownedByAnother: true } },
    { approval: { requestedHours: 12, withinRequesterLimits: false, approverRole: 'Operator' } },
    { usage: { activeFutureBookings: 9 }, utilization: { nextWeekRatio: 0.9, requesterNextWeekShare: 0.8 } },
  ].map((v) => mergeFacts(base, v) as BookingFacts);
  let i = 0;
  const next = () => variants[i++ % variants.length]!;

  console.log(
    `shipped rules: ${snapshot.rules.booking.length} booking rules, revision ${snapshot.revision}; node ${process.version}; ${seconds}s per measure`,
  );
  await measure('build one Engine (per-evaluation set-up only)', 1, () => buildEngine(snapshot, 'booking'));
  const sequential = await measure('evaluate, one at a time', 1, () => evaluate(snapshot, 'booking', next()));
  await measure('evaluate, 50 at a time (concurrent on one snapshot)', 50, () =>
    evaluate(snapshot, 'booking', next()),
  );
  await measure("evaluate with explain: 'all'", 1, () =>
    evaluate(snapshot, 'booking', next(), { explain: 'all' }),
  );
  const group = [0, 1, 2].map(
    (d) => mergeFacts(base, { booking: { deviceId: d }, device: { id: d } }) as BookingFacts,
  );
  await measure('evaluateGroup, 3-device reservations', 1, () => evaluateGroup(snapshot, group));
  console.log(
    `\nreplay target 2,000 bookings/s: ${sequential >= 2000 ? 'met' : 'NOT met'} (${sequential.toFixed(0)}/s, one core)`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
