/**
 * Collects findings with a bound on how many are kept, so a 10,000-node topology with
 * everything wrong yields a readable set of rows, not hundreds of thousands. Every finding is
 * counted, kept or not: outcome and `conflict_count` never depend on the cap.
 */
import { cleanText, describeValue, VALUE_CHARS } from './text';
import {
  type JsonObject,
  type JsonValue,
  SEVERITIES,
  type SeverityCounts,
  type TopologyFinding,
} from './types';

export const DEFAULT_MAX_FINDINGS = 2000;
export const DEFAULT_MAX_FINDINGS_PER_KIND = 200;
/** Longest finding message stored. */
export const MESSAGE_CHARS = 500;
/** Longest finding detail stored, as JSON text. */
export const DETAIL_CHARS = 4000;
const ID_CHARS = 200;
const DETAIL_DEPTH = 8;

export interface FindingLimits {
  /** Findings kept in all (default 2000). */
  maxFindings?: number;
  /** Findings of one kind kept (default 200), so one noisy kind cannot hide the others. */
  maxPerKind?: number;
}

/** Findings counted but not kept. */
export interface OmittedFindings {
  counts: SeverityCounts;
  byKind: Record<string, number>;
  /** Kinds of the error findings among them. */
  errorKinds: string[];
}

export function emptyCounts(): SeverityCounts {
  return { error: 0, warning: 0, info: 0 };
}

export class FindingList {
  readonly kept: TopologyFinding[] = [];
  /** Every finding added, kept or not. */
  readonly counts: SeverityCounts = emptyCounts();
  readonly omitted: OmittedFindings = { counts: emptyCounts(), byKind: Object.create(null), errorKinds: [] };
  /** Kinds of every error finding added, kept or not. */
  readonly errorKinds = new Set<string>();
  private readonly perKind = new Map<string, number>();
  private readonly max: number;
  private readonly maxPerKind: number;

  constructor(limits: FindingLimits = {}) {
    this.max = limits.maxFindings ?? DEFAULT_MAX_FINDINGS;
    this.maxPerKind = limits.maxPerKind ?? DEFAULT_MAX_FINDINGS_PER_KIND;
  }

  add(finding: TopologyFinding): void {
    const clean = sanitizeFinding(finding);
    this.counts[clean.severity] += 1;
    if (clean.severity === 'error') this.errorKinds.add(clean.kind);
    const ofKind = this.perKind.get(clean.kind) ?? 0;
    if (this.kept.length < this.max && ofKind < this.maxPerKind) {
      this.perKind.set(clean.kind, ofKind + 1);
      this.kept.push(clean);
      return;
    }
    this.omitted.counts[clean.severity] += 1;
    this.omitted.byKind[clean.kind] = (this.omitted.byKind[clean.kind] ?? 0) + 1;
    if (clean.severity === 'error' && !this.omitted.errorKinds.includes(clean.kind)) {
      this.omitted.errorKinds.push(clean.kind);
    }
  }

  /** Takes over another list's findings and what it left out. */
  absorb(findings: readonly TopologyFinding[], omitted?: OmittedFindings): void {
    for (const finding of findings) this.add(finding);
    if (!omitted) return;
    for (const severity of SEVERITIES) {
      this.counts[severity] += omitted.counts[severity];
      this.omitted.counts[severity] += omitted.counts[severity];
    }
    for (const [kind, count] of Object.entries(omitted.byKind)) {
      this.omitted.byKind[kind] = (this.omitted.byKind[kind] ?? 0) + count;
    }
    for (const kind of omitted.errorKinds) {
      this.errorKinds.add(kind);
      if (!this.omitted.errorKinds.includes(kind)) this.omitted.errorKinds.push(kind);
    }
  }

  get omittedTotal(): number {
    const c = this.omitted.counts;
    return c.error + c.warning + c.info;
  }
}

/**
 * Makes a finding safe to store: a known severity, bounded clean strings (no NUL, no lone
 * surrogates), an integer device id, a detail that is a small JSON object. Policy findings
 * come from admins' rule files, so they pass through here too.
 */
export function sanitizeFinding(finding: TopologyFinding): TopologyFinding {
  const severity = SEVERITIES.includes(finding.severity) ? finding.severity : 'error';
  const out: TopologyFinding = {
    kind: cleanText(String(finding.kind), 100) as TopologyFinding['kind'],
    severity,
    message: cleanText(String(finding.message ?? ''), MESSAGE_CHARS) || `${String(finding.kind)} finding`,
    detail: boundedDetail(finding.detail),
  };
  if (typeof finding.nodeId === 'string') out.nodeId = cleanText(finding.nodeId, ID_CHARS);
  if (typeof finding.edgeId === 'string') out.edgeId = cleanText(finding.edgeId, ID_CHARS);
  if (Number.isSafeInteger(finding.deviceId) && Math.abs(finding.deviceId as number) <= 2147483647) {
    out.deviceId = finding.deviceId as number;
  }
  return out;
}

function boundedDetail(detail: unknown): JsonObject {
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) return {};
  const budget = { nodes: 400, chars: DETAIL_CHARS };
  const out = cleanJson(detail, 0, budget);
  if (budget.nodes < 0 || budget.chars < 0) return { omitted: 'detail too large to keep' };
  return out as JsonObject;
}

/**
 * A clean copy of a JSON-like value: own enumerable keys only, strings cleaned, non-finite
 * numbers and non-JSON values rendered as text. Walks at most DETAIL_DEPTH levels and a budget
 * of nodes and characters, so a hostile detail cannot take long or overflow the stack.
 */
function cleanJson(value: unknown, depth: number, budget: { nodes: number; chars: number }): JsonValue {
  budget.nodes -= 1;
  if (budget.nodes < 0) return null;
  switch (typeof value) {
    case 'string': {
      const text = cleanText(value, VALUE_CHARS * 4);
      budget.chars -= text.length;
      return text;
    }
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'object': {
      if (value === null) return null;
      if (depth >= DETAIL_DEPTH) return describeValue(value);
      if (Array.isArray(value)) {
        const items: JsonValue[] = [];
        for (let i = 0; i < value.length && budget.nodes >= 0; i++)
          items.push(cleanJson(value[i], depth + 1, budget));
        return items;
      }
      const out: JsonObject = {};
      for (const key of Object.keys(value)) {
        if (budget.nodes < 0) break;
        const cleanKey = cleanText(key, VALUE_CHARS);
        budget.chars -= cleanKey.length;
        // defineProperty: a `__proto__` key stays an ordinary key.
        Object.defineProperty(out, cleanKey, {
          value: cleanJson((value as Record<string, unknown>)[key], depth + 1, budget),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    default:
      return describeValue(value);
  }
}

/** Convenience for building detail objects. */
export function detail(values: Record<string, JsonValue | undefined>): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(values)) if (value !== undefined) out[key] = value;
  return out;
}
