/**
 * A policy file (`rules/*.json`) checked from top to bottom: its layout (zod), each rule's
 * conditions against the fact catalog (./conditions.ts) and each message's placeholders. All
 * problems are collected, not only the first, so one `rules check` run lists everything to fix.
 */
import { z } from 'zod';
import { type ConditionNode, checkConditions, factShape, stepInto } from './conditions';
import { didYouMean, jsonPath, type RuleFileError } from './errors';
import { factsFor, findFact, POLICY_KINDS, type PolicyKind } from './facts/catalog';
import { parsePath } from './path';
import { parseTemplate } from './template';

export const EVENT_TYPES = ['deny', 'require_approval', 'flag'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface RuleEventParams {
  readonly code: string;
  readonly message: string;
  readonly approver?: string;
}

export interface PolicyRule {
  readonly name: string;
  readonly description?: string;
  readonly priority: number;
  readonly conditions: ConditionNode;
  readonly event: { readonly type: EventType; readonly params: RuleEventParams };
}

export interface Policy {
  readonly policy: string;
  readonly appliesTo: PolicyKind;
  readonly description: string;
  /** File name relative to the rules folder. */
  readonly file: string;
  readonly rules: readonly PolicyRule[];
}

const NAME = /^[a-z0-9][a-z0-9-]{0,79}$/;
const NAME_ERROR = 'must be 1-80 lower-case letters, digits and "-", starting with a letter or digit';
const CODE = /^[A-Z][A-Z0-9_]{1,63}$/;

const fileSchema = z.strictObject({
  policy: z.string({ error: 'must be text' }).regex(NAME, { error: NAME_ERROR }),
  appliesTo: z.enum(POLICY_KINDS, {
    error: `must be one of ${POLICY_KINDS.map((k) => `"${k}"`).join(', ')}`,
  }),
  description: z.string({ error: 'must be text' }).min(1, { error: 'must not be empty' }),
  rules: z
    .array(z.unknown(), { error: 'must be a list of rules' })
    .min(1, { error: 'must list at least one rule' }),
});

const ruleSchema = z.strictObject({
  name: z.string({ error: 'must be text' }).regex(NAME, { error: NAME_ERROR }),
  description: z.string({ error: 'must be text' }).optional(),
  priority: z
    .int({ error: 'must be a whole number from 1 to 100' })
    .min(1, { error: 'must be a whole number from 1 to 100' })
    .max(100, { error: 'must be a whole number from 1 to 100' })
    .optional(),
  conditions: z.unknown(),
  event: z.strictObject({
    type: z.enum(EVENT_TYPES, { error: `must be one of ${EVENT_TYPES.map((t) => `"${t}"`).join(', ')}` }),
    params: z.strictObject({
      code: z.string({ error: 'must be text' }).regex(CODE, {
        error:
          'must be 2-64 upper-case letters, digits and "_", starting with a letter (e.g. OVERLAP_CONFIRMED)',
      }),
      message: z
        .string({ error: 'must be text' })
        .min(1, { error: 'must not be empty' })
        .max(500, { error: 'must be at most 500 characters' }),
      approver: z.string({ error: 'must be text' }).min(1, { error: 'must not be empty' }).optional(),
    }),
  }),
});

const KNOWN_KEYS: Record<string, readonly string[]> = {
  file: Object.keys(fileSchema.shape),
  rule: Object.keys(ruleSchema.shape),
  event: ['type', 'params'],
  params: ['code', 'message', 'approver'],
};

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function zodProblems(
  error: z.ZodError,
  raw: unknown,
  base: string,
  level: 'file' | 'rule',
): Array<{ at: string; message: string }> {
  const out: Array<{ at: string; message: string }> = [];
  for (const issue of error.issues) {
    const at = issue.path.reduce<string>((acc, seg) => jsonPath(acc, seg as string | number), base);
    if (issue.code === 'unrecognized_keys') {
      const last = issue.path.at(-1);
      const known = KNOWN_KEYS[issue.path.length === 0 ? level : String(last)] ?? [];
      for (const key of issue.keys) {
        out.push({
          at: jsonPath(at, key),
          message: `unknown property "${key}"${didYouMean(key, known)}; allowed here: ${known.join(', ')}`,
        });
      }
      continue;
    }
    if (valueAt(raw, issue.path) === undefined) {
      const parent = issue.path
        .slice(0, -1)
        .reduce<string>((acc, seg) => jsonPath(acc, seg as string | number), base);
      out.push({ at: parent || '(top level)', message: `missing "${String(issue.path.at(-1))}"` });
      continue;
    }
    const got = JSON.stringify(valueAt(raw, issue.path));
    out.push({
      at,
      message: `${issue.message}; got ${got && got.length > 60 ? `${got.slice(0, 57)}...` : got}`,
    });
  }
  return out;
}

/** Validates one parsed policy file; returns the policy, or every problem found. */
export function validatePolicy(
  raw: unknown,
  file: string,
): { ok: true; policy: Policy } | { ok: false; errors: RuleFileError[] } {
  const errors: RuleFileError[] = [];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return {
      ok: false,
      errors: [
        {
          file,
          message: 'a policy file must hold one object with "policy", "appliesTo", "description" and "rules"',
        },
      ],
    };
  }
  const top = fileSchema.safeParse(raw);
  if (!top.success) {
    for (const p of zodProblems(top.error, raw, '', 'file'))
      errors.push({ file, at: p.at, message: p.message });
  }
  // Conditions are checked even when the top level has problems, as long as the kind is known.
  const rawKind = (raw as { appliesTo?: unknown }).appliesTo;
  const kind = POLICY_KINDS.find((k) => k === rawKind);
  const rawRules = (raw as { rules?: unknown }).rules;
  const rules: PolicyRule[] = [];
  const seen = new Map<string, number>();
  if (Array.isArray(rawRules)) {
    rawRules.forEach((rawRule, index) => {
      const at = jsonPath('rules', index);
      const name =
        rawRule && typeof rawRule === 'object' && typeof (rawRule as { name?: unknown }).name === 'string'
          ? (rawRule as { name: string }).name
          : undefined;
      const push = (p: { at: string; message: string }) =>
        errors.push({ file, ...(name !== undefined ? { rule: name } : {}), at: p.at, message: p.message });
      if (rawRule === null || typeof rawRule !== 'object' || Array.isArray(rawRule)) {
        push({ at, message: 'a rule must be an object with "name", "conditions" and "event"' });
        return;
      }
      const parsed = ruleSchema.safeParse(rawRule);
      if (!parsed.success) for (const p of zodProblems(parsed.error, rawRule, at, 'rule')) push(p);
      if (name !== undefined) {
        const first = seen.get(name);
        if (first !== undefined)
          push({
            at: jsonPath(at, 'name'),
            message: `the name "${name}" is already used by rules[${first}]`,
          });
        else seen.set(name, index);
      }
      const ruleProblems: Array<{ at: string; message: string }> = [];
      if (kind !== undefined) {
        if (!Object.hasOwn(rawRule, 'conditions')) ruleProblems.push({ at, message: 'missing "conditions"' });
        else
          ruleProblems.push(
            ...checkConditions(
              (rawRule as { conditions: unknown }).conditions,
              kind,
              jsonPath(at, 'conditions'),
            ),
          );
      }
      if (parsed.success) {
        const { type, params } = parsed.data.event;
        const paramsAt = jsonPath(jsonPath(at, 'event'), 'params');
        if (type === 'require_approval' && params.approver === undefined) {
          ruleProblems.push({
            at: paramsAt,
            message: 'missing "approver": a require_approval rule must say who approves',
          });
        }
        if (type !== 'require_approval' && params.approver !== undefined) {
          ruleProblems.push({
            at: jsonPath(paramsAt, 'approver'),
            message: `"approver" only makes sense for require_approval, not ${type}`,
          });
        }
        if (kind !== undefined) {
          for (const key of ['message', 'approver'] as const) {
            const template = params[key];
            if (template !== undefined) {
              ruleProblems.push(...checkTemplate(template, kind, jsonPath(paramsAt, key)));
            }
          }
        }
      }
      for (const p of ruleProblems) push(p);
      if (parsed.success && ruleProblems.length === 0) {
        const r = parsed.data;
        rules.push({
          name: r.name,
          ...(r.description !== undefined ? { description: r.description } : {}),
          priority: r.priority ?? 1,
          conditions: r.conditions as ConditionNode,
          event: {
            type: r.event.type,
            params: {
              code: r.event.params.code,
              message: r.event.params.message,
              ...(r.event.params.approver !== undefined ? { approver: r.event.params.approver } : {}),
            },
          },
        });
      }
    });
  }
  if (errors.length > 0 || !top.success) return { ok: false, errors };
  return {
    ok: true,
    policy: {
      policy: top.data.policy,
      appliesTo: top.data.appliesTo,
      description: top.data.description,
      file,
      rules,
    },
  };
}

/** Checks the `{{fact.path}}` placeholders of a message or approver against the catalog. */
function checkTemplate(
  template: string,
  kind: PolicyKind,
  at: string,
): Array<{ at: string; message: string }> {
  const parsed = parseTemplate(template);
  if (!parsed.ok) return [{ at, message: parsed.reason }];
  const out: Array<{ at: string; message: string }> = [];
  for (const p of parsed.placeholders) {
    const def = findFact(p.fact);
    const available = factsFor(kind).map((f) => f.name);
    if (!def?.appliesTo.includes(kind)) {
      out.push({
        at,
        message: `{{${p.text}}}: unknown fact "${p.fact}" for ${kind} policies${didYouMean(p.fact, available)}`,
      });
      continue;
    }
    const parsedPath = parsePath(p.path);
    if (!parsedPath.ok) {
      out.push({ at, message: `{{${p.text}}}: ${parsedPath.reason}` });
      continue;
    }
    let shape = factShape(def);
    let walked = p.fact;
    for (const segment of parsedPath.segments) {
      const next = stepInto(shape, segment);
      if (typeof next === 'string') {
        out.push({ at, message: `{{${p.text}}}: ${next.replace('%s', walked)}` });
        break;
      }
      shape = next;
      walked = `${walked}.${segment}`;
    }
  }
  return out;
}
