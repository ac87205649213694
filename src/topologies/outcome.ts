/**
 * Findings -> outcome and the short summary written to `topology_review.notes`.
 *
 *   invalid         an error about the JSON's shape (a parse kind): the topology cannot be
 *                   read as drawn, whatever else is true
 *   conflicts       any other error
 *   needs_approval  no error, at least one warning: a person must look
 *   approved        nothing but notes (info)
 */
import type { FindingList } from './findings';
import { cleanText, plural } from './text';
import { type Outcome, PARSE_KINDS, type SeverityCounts, type TopologyFinding } from './types';

/** Longest `notes` text written. */
export const NOTES_CHARS = 1000;
const PARSE = new Set<string>(PARSE_KINDS);

export function decideOutcome(list: FindingList): Outcome {
  if (list.counts.error === 0) return list.counts.warning > 0 ? 'needs_approval' : 'approved';
  for (const kind of list.errorKinds) if (PARSE.has(kind)) return 'invalid';
  return 'conflicts';
}

const HEADLINES: Record<Outcome, string> = {
  approved: 'Approved',
  needs_approval: 'Needs approval',
  conflicts: 'Conflicts',
  invalid: 'Invalid topology',
};
const RANK = { error: 0, warning: 1, info: 2 } as const;

function countText(counts: SeverityCounts): string {
  const parts: string[] = [];
  if (counts.error) parts.push(plural(counts.error, 'error'));
  if (counts.warning) parts.push(plural(counts.warning, 'warning'));
  if (counts.info) parts.push(plural(counts.info, 'note'));
  return parts.length ? parts.join(', ') : 'no findings';
}

/** `Conflicts (2 errors, 1 warning): <most severe messages>; ... and 1 more.` */
export function summarize(
  outcome: Outcome,
  counts: SeverityCounts,
  findings: readonly TopologyFinding[],
): string {
  const head = `${HEADLINES[outcome]} (${countText(counts)})`;
  const worst = findings
    .map((finding, order) => ({ finding, order }))
    .filter(({ finding }) => finding.severity !== 'info' || outcome === 'approved')
    .sort((a, b) => RANK[a.finding.severity] - RANK[b.finding.severity] || a.order - b.order);
  const total = counts.error + counts.warning + (outcome === 'approved' ? counts.info : 0);
  let text = worst.length === 0 ? `${head}.` : `${head}: `;
  let shown = 0;
  for (const { finding } of worst) {
    const piece = `${shown ? '; ' : ''}${finding.message}`;
    // Leave room for the " ... and N more." tail.
    if (text.length + piece.length > NOTES_CHARS - 40) break;
    text += piece;
    shown += 1;
    if (shown === 3) break;
  }
  if (worst.length > 0) text += total > shown ? `; ... and ${total - shown} more.` : '.';
  return cleanText(text, NOTES_CHARS);
}
