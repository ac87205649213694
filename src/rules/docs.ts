/**
 * The generated parts of docs/rules.md: the fact tables (from FACT_CATALOG) and the operator
 * table (from OPERATORS). `npm run docs:rules` rewrites them between their markers; a test fails
 * when the file is not current, so the admin documentation cannot drift from the code.
 */
import { FACT_CATALOG } from './facts/catalog';
import { arrayElement, describeShape, metaOf, objectFields, shapeOf } from './facts/shape';
import { OPERATORS } from './operators';

export const MARKERS = {
  facts: ['<!-- generated:facts:start (npm run docs:rules) -->', '<!-- generated:facts:end -->'],
  operators: ['<!-- generated:operators:start (npm run docs:rules) -->', '<!-- generated:operators:end -->'],
} as const;

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function example(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  return `\`${cell(text.length > 70 ? `${text.slice(0, 67)}...` : text)}\``;
}

function typeWords(schema: Parameters<typeof shapeOf>[0]): string {
  const element = arrayElement(schema);
  const elementFields = element ? objectFields(element) : undefined;
  if (elementFields) return `list of objects (${Object.keys(elementFields).join(', ')})`;
  const fields = objectFields(schema);
  const words = describeShape(shapeOf(schema));
  return fields ? words.replace(/^object/, `object (${Object.keys(fields).join(', ')})`) : words;
}

export function renderFactTables(): string {
  const out: string[] = [];
  for (const fact of FACT_CATALOG) {
    out.push(`### \`${fact.name}\``, '');
    out.push(`${fact.description} In ${fact.appliesTo.map((k) => `\`${k}\``).join(' and ')} policies.`, '');
    out.push('| path | type | meaning | example |', '| --- | --- | --- | --- |');
    for (const [name, schema] of Object.entries(objectFields(fact.schema) ?? {})) {
      const meta = metaOf(schema);
      out.push(
        `| \`${fact.name}.${name}\` | ${cell(typeWords(schema))} | ${cell(meta?.description ?? '')} | ${example(meta?.example)} |`,
      );
    }
    out.push('');
  }
  return out.join('\n').trimEnd();
}

export function renderOperatorTable(): string {
  const out = ['| operator | true when | example |', '| --- | --- | --- |'];
  for (const op of OPERATORS) out.push(`| \`${op.name}\` | ${cell(op.meaning)} | \`${cell(op.example)}\` |`);
  return out.join('\n');
}

/** Replaces the generated sections of the document; throws when a marker is missing. */
export function updateRulesDoc(doc: string): string {
  let text = doc;
  for (const [key, render] of [
    ['facts', renderFactTables],
    ['operators', renderOperatorTable],
  ] as const) {
    const [start, end] = MARKERS[key];
    const i = text.indexOf(start);
    const j = text.indexOf(end);
    if (i < 0 || j < i) throw new Error(`docs/rules.md: the markers ${start} ... ${end} are missing`);
    text = `${text.slice(0, i + start.length)}\n\n${render()}\n\n${text.slice(j)}`;
  }
  return text;
}

/** The formatter pads table cells; padding is not content. */
export function withoutTablePadding(text: string): string {
  return text
    .split('\n')
    .map((line) => (line.startsWith('|') ? line.replace(/ *\| */g, '|').replace(/-{3,}/g, '---') : line))
    .join('\n');
}
