/**
 * Renders the contract for the other side: one JSON Schema (2020-12, the dialect Pydantic v2
 * and the Python `jsonschema` package read) per job in /contracts, an index of queues and jobs,
 * and the job reference of docs/contract.md. `npm run contracts` writes them; a test fails when
 * the committed files differ from what this renders.
 */
import { z } from 'zod';
import { JOB_NAMES, JOBS, type JobName, QUEUE_NAMES } from './index';

export const GENERATED_NOTE = 'Generated from src/contracts by `npm run contracts`: do not edit.';

type JsonSchema = {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  description?: string;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
};

export function jsonSchemaOf(name: JobName): Record<string, unknown> {
  return z.toJSONSchema(JOBS[name].schema, { io: 'input', target: 'draft-2020-12' }) as Record<
    string,
    unknown
  >;
}

/** File name (in /contracts) -> file content. */
export function renderJsonSchemas(): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of JOB_NAMES) {
    files.set(
      `${name}.json`,
      `${JSON.stringify({ $comment: GENERATED_NOTE, ...jsonSchemaOf(name) }, null, 2)}\n`,
    );
  }
  const index = {
    $comment: GENERATED_NOTE,
    queues: Object.fromEntries(QUEUE_NAMES.map((q) => [q, JOB_NAMES.filter((n) => JOBS[n].queue === q)])),
    jobs: Object.fromEntries(JOB_NAMES.map((n) => [n, { queue: JOBS[n].queue, schema: `${n}.json` }])),
  };
  files.set('index.json', `${JSON.stringify(index, null, 2)}\n`);
  return files;
}

function typeOf(schema: JsonSchema): string {
  if (schema.anyOf) return schema.anyOf.map(typeOf).join(' or ');
  if (schema.enum) return schema.enum.map((v) => `\`${JSON.stringify(v)}\``).join(' or ');
  if (schema.type === 'null') return 'null';
  if (schema.type === 'integer') return schema.minimum === 1 ? 'integer ≥ 1' : 'integer';
  if (schema.format === 'uuid') return 'UUID string';
  if (schema.format === 'date-time') return 'ISO 8601 date-time with time zone';
  if (schema.type === 'string') return schema.maxLength ? `string (≤ ${schema.maxLength} chars)` : 'string';
  return String(schema.type ?? 'any');
}

/** A Markdown table with padded columns (the layout the formatter keeps). */
function table(header: readonly string[], rows: readonly string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

function fieldRows(schema: JsonSchema, prefix = ''): string[][] {
  const rows: string[][] = [];
  for (const [key, field] of Object.entries(schema.properties ?? {})) {
    const path = `${prefix}${key}`;
    const required = schema.required?.includes(key) ? 'yes' : 'no';
    const description = (
      field.description ??
      field.anyOf?.find((s) => s.description)?.description ??
      ''
    ).replace(/\|/g, '\\|');
    rows.push([`\`${path}\``, typeOf(field), required, description]);
    if (field.properties) rows.push(...fieldRows(field, `${path}.`));
  }
  return rows;
}

/** A JSON value as a Python literal (None/True/False), indented like the JSON. */
function python(value: unknown, indent = ''): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (Array.isArray(value)) return `[${value.map((v) => python(v, indent)).join(', ')}]`;
  if (typeof value === 'object') {
    const inner = `${indent}    `;
    const entries = Object.entries(value as Record<string, unknown>).map(
      ([k, v]) => `${inner}${JSON.stringify(k)}: ${python(v, inner)},`,
    );
    return `{\n${entries.join('\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

/** A JSON value as a TypeScript literal (unquoted keys), indented like the JSON. */
function typescript(value: unknown, indent = ''): string {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const inner = `${indent}  `;
    const entries = Object.entries(value as Record<string, unknown>).map(
      ([k, v]) => `${inner}${/^[A-Za-z_]\w*$/.test(k) ? k : JSON.stringify(k)}: ${typescript(v, inner)},`,
    );
    return `{\n${entries.join('\n')}\n${indent}}`;
  }
  return JSON.stringify(value).replace(/"/g, "'");
}

function jobSection(name: JobName): string {
  const job = JOBS[name];
  const { eventId: _eventId, occurredAt: _occurredAt, ...fields } = job.example as Record<string, unknown>;
  const pyPayload = python({ eventId: '@@EVENT_ID@@', occurredAt: '@@NOW@@', ...fields })
    .replace('"@@EVENT_ID@@"', 'event_id')
    .replace('"@@NOW@@"', 'datetime.now(timezone.utc).isoformat()');
  return [
    `### \`${name}\``,
    '',
    `Queue \`${job.queue}\`. ${job.description}`,
    '',
    ...table(['field', 'type', 'required', 'meaning'], fieldRows(jsonSchemaOf(name) as JsonSchema)),
    '',
    `JSON Schema: [\`contracts/${name}.json\`](../contracts/${name}.json).`,
    '',
    '```python',
    'event_id = str(uuid.uuid4())',
    `await queues[${JSON.stringify(job.queue)}].add(${JSON.stringify(name)}, ${pyPayload}, {"jobId": event_id})`,
    '```',
    '',
    '```ts',
    `await producer.enqueue('${name}', ${typescript(fields)});`,
    '```',
    '',
  ].join('\n');
}

export const DOC_BEGIN = '<!-- BEGIN GENERATED: jobs (npm run contracts; edit src/contracts instead) -->';
export const DOC_END = '<!-- END GENERATED: jobs -->';

/** The job reference: a section per job, grouped by queue. */
export function renderJobReference(): string {
  const parts: string[] = [];
  for (const queue of QUEUE_NAMES) {
    const names = JOB_NAMES.filter((n) => JOBS[n].queue === queue);
    parts.push(`## Queue \`${queue}\``, '');
    if (names.length === 0) {
      parts.push('No jobs yet: the worker enqueues its own internal jobs here as they are added.', '');
    }
    for (const name of names) parts.push(jobSection(name));
  }
  return parts.join('\n');
}

/** Replaces the generated part of docs/contract.md (between the markers) with a fresh one. */
export function updateContractDoc(doc: string): string {
  const begin = doc.indexOf(DOC_BEGIN);
  const end = doc.indexOf(DOC_END);
  if (begin < 0 || end < begin)
    throw new Error(`docs/contract.md lacks the markers ${DOC_BEGIN} ... ${DOC_END}`);
  return `${doc.slice(0, begin + DOC_BEGIN.length)}\n\n${renderJobReference()}\n${doc.slice(end)}`;
}
