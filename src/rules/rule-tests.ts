/**
 * Test cases for policies, in the spirit of `opa test`: `<rules>/tests/*.json` files, each a
 * suite of cases that give facts and expect an outcome and the exact set of codes that fire.
 *
 * A suite's `defaults` (inline, or the name of a file in `<rules>/tests/facts/`) is a complete
 * facts object; each case overrides parts of it (objects are merged, anything else replaced).
 * Merged facts are checked against the fact catalog, so a misspelt field in a test is an error,
 * not a case that silently passes.
 *
 * Coverage: a rule is covered when some case makes it fire and some case that changes one of
 * the facts it reads leaves it silent (a near miss, not merely a case about something else).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { boundRuleFileError, didYouMean, jsonPath, type RuleFileError } from './errors';
import { type Decision, evaluate } from './evaluate';
import { checkFacts, type FactsOf, POLICY_KINDS, type PolicyKind } from './facts/catalog';
import { parseJson } from './json';
import { isPolicyFileName } from './load';
import { leavesOf, type PreparedRule, type RuleSetSnapshot } from './snapshot';

const OUTCOMES = ['allow', 'require_approval', 'deny'] as const;

const caseSchema = z.strictObject({
  name: z.string({ error: 'must be text' }).min(1, { error: 'must not be empty' }),
  facts: z.record(z.string(), z.unknown(), { error: 'must be an object of facts' }).optional(),
  expect: z.strictObject({
    outcome: z.enum(OUTCOMES, { error: `must be one of ${OUTCOMES.map((o) => `"${o}"`).join(', ')}` }),
    codes: z.array(z.string(), { error: 'must be a list of codes ([] for none)' }),
    /** Code -> text its message must contain. */
    messages: z.record(z.string(), z.string()).optional(),
    /** Code -> its approver. */
    approvers: z.record(z.string(), z.string()).optional(),
  }),
});

const suiteSchema = z.strictObject({
  description: z.string().optional(),
  appliesTo: z.enum(POLICY_KINDS, {
    error: `must be one of ${POLICY_KINDS.map((k) => `"${k}"`).join(', ')}`,
  }),
  defaults: z
    .union([z.string().regex(/^[\w-]+$/), z.record(z.string(), z.unknown())], {
      error: 'must be a facts object or the name of a file in tests/facts/ (without .json)',
    })
    .optional(),
  cases: z
    .array(caseSchema, { error: 'must be a list of cases' })
    .min(1, { error: 'must list at least one case' }),
});

export interface RuleTestCase {
  readonly file: string;
  readonly name: string;
  readonly kind: PolicyKind;
  readonly facts: Record<string, unknown>;
  /** Top-level facts the case changes from the defaults. */
  readonly overrides: ReadonlySet<string>;
  readonly expect: z.infer<typeof caseSchema>['expect'];
}

export interface CaseResult {
  readonly case: RuleTestCase;
  readonly passed: boolean;
  readonly problems: readonly string[];
  readonly decision: Decision;
}

export interface RuleCoverage {
  readonly id: string;
  readonly firedIn: readonly string[];
  readonly silentIn: readonly string[];
}

export interface RuleTestReport {
  readonly results: readonly CaseResult[];
  readonly coverage: readonly RuleCoverage[];
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** Objects merge key by key; lists and single values replace. */
export function mergeFacts(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return structuredClone(override);
  const out: Record<string, unknown> = structuredClone(base);
  for (const [key, value] of Object.entries(override)) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
    out[key] = Object.hasOwn(out, key) ? mergeFacts(out[key], value) : structuredClone(value);
  }
  return out;
}

async function readJson(file: string, label: string): Promise<{ value?: unknown; error?: RuleFileError }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return { error: { file: label, message: `cannot read: ${(error as Error).message}` } };
  }
  const parsed = parseJson(text);
  if (!parsed.ok) {
    return {
      error: {
        file: label,
        line: parsed.line,
        column: parsed.column,
        message: `JSON syntax error: ${parsed.message}`,
      },
    };
  }
  return { value: parsed.value };
}

/** Reads and checks the test suites of a rules folder (`<dir>/tests/*.json`). */
export async function loadRuleTests(
  dir: string,
): Promise<{ cases: RuleTestCase[]; errors: RuleFileError[] }> {
  const testsDir = path.join(dir, 'tests');
  const cases: RuleTestCase[] = [];
  const errors: RuleFileError[] = [];
  let names: string[];
  try {
    names = (await readdir(testsDir)).filter(isPolicyFileName).sort();
  } catch {
    return { cases, errors: [{ file: 'tests', message: `no test folder: ${testsDir}` }] };
  }
  if (names.length === 0)
    errors.push({ file: 'tests', message: 'no test files (*.json) in the tests folder' });
  for (const name of names) {
    const label = `tests/${name}`;
    const { value, error } = await readJson(path.join(testsDir, name), label);
    if (error) {
      errors.push(error);
      continue;
    }
    const parsed = suiteSchema.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const at = issue.path.reduce<string>((acc, seg) => jsonPath(acc, seg as string | number), '');
        const keys =
          issue.code === 'unrecognized_keys' ? `: ${issue.keys.map((k) => `"${k}"`).join(', ')}` : '';
        errors.push({ file: label, at: at || '(top level)', message: `${issue.message}${keys}` });
      }
      continue;
    }
    const suite = parsed.data;
    let defaults: Record<string, unknown> = {};
    if (typeof suite.defaults === 'string') {
      const factsFile = `tests/facts/${suite.defaults}.json`;
      const loaded = await readJson(path.join(testsDir, 'facts', `${suite.defaults}.json`), factsFile);
      if (loaded.error) {
        errors.push(loaded.error);
        continue;
      }
      if (!isPlainObject(loaded.value)) {
        errors.push({ file: factsFile, message: 'must hold one facts object' });
        continue;
      }
      defaults = loaded.value;
    } else if (suite.defaults) {
      defaults = suite.defaults;
    }
    const seen = new Set<string>();
    for (const [index, c] of suite.cases.entries()) {
      const at = jsonPath('cases', index);
      if (seen.has(c.name))
        errors.push({ file: label, at, message: `the case name "${c.name}" is used twice` });
      seen.add(c.name);
      const facts = mergeFacts(defaults, c.facts ?? {}) as Record<string, unknown>;
      const check = checkFacts(suite.appliesTo, facts);
      if (!check.ok) {
        for (const problem of check.problems) {
          errors.push({ file: label, at: jsonPath(at, 'facts'), message: `case "${c.name}": ${problem}` });
        }
        continue;
      }
      cases.push({
        file: label,
        name: c.name,
        kind: suite.appliesTo,
        facts,
        overrides: new Set(Object.keys(c.facts ?? {})),
        expect: c.expect,
      });
    }
  }
  return { cases, errors: errors.map(boundRuleFileError) };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a);
  const sb = new Set(b);
  return sa.size === sb.size && [...sa].every((x) => sb.has(x));
}

/** Runs test cases against a snapshot. */
export async function runRuleTests(
  snapshot: RuleSetSnapshot,
  cases: readonly RuleTestCase[],
): Promise<RuleTestReport> {
  const results: CaseResult[] = [];
  const fired = new Map<string, string[]>();
  const silent = new Map<string, string[]>();
  const inputs = new Map<string, Set<string>>();
  for (const rule of [...snapshot.rules.booking, ...snapshot.rules.topology]) {
    fired.set(rule.id, []);
    silent.set(rule.id, []);
    inputs.set(rule.id, factsRead(rule));
  }
  const knownCodes = new Set(
    [...snapshot.rules.booking, ...snapshot.rules.topology].map((r) => r.rule.event.params.code),
  );
  for (const c of cases) {
    const decision = await evaluate(snapshot, c.kind, c.facts as FactsOf<typeof c.kind>, { explain: 'all' });
    const codes = decision.reasons.map((r) => r.code);
    const problems: string[] = [];
    for (const code of c.expect.codes) {
      if (!knownCodes.has(code))
        problems.push(`expects code ${code}, which no rule has${didYouMean(code, knownCodes)}`);
    }
    if (decision.outcome !== c.expect.outcome || !sameSet(codes, c.expect.codes)) {
      problems.push(
        `expected ${c.expect.outcome} [${[...c.expect.codes].sort().join(', ')}], got ${decision.outcome} [${[...codes].sort().join(', ')}]`,
      );
    }
    for (const [code, text] of Object.entries(c.expect.messages ?? {})) {
      const reason = decision.reasons.find((r) => r.code === code);
      if (!reason) problems.push(`expects a message for ${code}, which did not fire`);
      else if (!reason.message.includes(text)) {
        problems.push(
          `message of ${code} should contain ${JSON.stringify(text)}: ${JSON.stringify(reason.message)}`,
        );
      }
    }
    for (const [code, approver] of Object.entries(c.expect.approvers ?? {})) {
      const reason = decision.reasons.find((r) => r.code === code);
      if (reason?.approver !== approver) {
        problems.push(
          `approver of ${code} should be ${JSON.stringify(approver)}, got ${JSON.stringify(reason?.approver ?? null)}`,
        );
      }
    }
    const label = `${c.file}: ${c.name}`;
    for (const r of decision.reasons) fired.get(`${r.policy}/${r.rule}`)?.push(label);
    for (const r of decision.notFired) {
      const id = `${r.policy}/${r.rule}`;
      if ([...(inputs.get(id) ?? [])].some((f) => c.overrides.has(f))) silent.get(id)?.push(label);
    }
    results.push({ case: c, passed: problems.length === 0, problems, decision });
  }
  const coverage = [...fired.keys()].map((id) => ({
    id,
    firedIn: fired.get(id)!,
    silentIn: silent.get(id)!,
  }));
  return { results, coverage };
}

/** The facts a rule's conditions read (including facts used as compared values). */
function factsRead(rule: PreparedRule): Set<string> {
  const out = new Set<string>();
  for (const leaf of leavesOf(rule.rule.conditions)) {
    out.add(leaf.condition.fact);
    const v = leaf.condition.value;
    if (isPlainObject(v) && typeof v.fact === 'string') out.add(v.fact);
  }
  return out;
}

/** Rules not covered both ways, as readable lines. */
export function coverageGaps(report: RuleTestReport): string[] {
  const gaps: string[] = [];
  for (const c of report.coverage) {
    if (c.firedIn.length === 0) gaps.push(`${c.id}: no case makes it fire`);
    if (c.silentIn.length === 0) gaps.push(`${c.id}: no case changes its facts and leaves it silent`);
  }
  return gaps;
}

/** Why a failing case failed, with the conditions of the rules concerned. */
export function explainFailure(result: CaseResult): string[] {
  const lines = [...result.problems];
  const expected = new Set(result.case.expect.codes);
  for (const reason of result.decision.reasons) {
    if (expected.has(reason.code)) continue;
    lines.push(`  ${reason.code} fired (${reason.policy}/${reason.rule}): ${reason.message}`);
    for (const c of reason.conditions) lines.push(`    ${conditionLine(c)}`);
  }
  const firedCodes = new Set(result.decision.reasons.map((r) => r.code));
  for (const trace of result.decision.notFired) {
    if (!expected.has(trace.code) || firedCodes.has(trace.code)) continue;
    lines.push(`  ${trace.code} did not fire (${trace.policy}/${trace.rule}):`);
    for (const c of trace.conditions ?? []) lines.push(`    ${conditionLine(c)}`);
  }
  return lines;
}

function conditionLine(c: {
  fact: string;
  path?: string;
  operator: string;
  factValue: unknown;
  comparedValue: unknown;
  result: boolean;
}): string {
  const name = c.path ? `${c.fact}.${c.path}` : c.fact;
  return `${c.result ? 'true ' : 'false'}  ${name} (${JSON.stringify(c.factValue)}) ${c.operator} ${JSON.stringify(c.comparedValue)}`;
}
