/**
 * The shape of a fact, read from its zod schema: what rule validation checks paths and values
 * against, and what the admin documentation prints. Only the handful of zod types the catalog
 * uses are understood; anything else is a programming error caught by the catalog tests.
 */
import { z } from 'zod';

export type Shape =
  | { kind: 'number'; integer: boolean; nullable: boolean }
  | { kind: 'string'; timestamp: boolean; values: readonly string[] | null; nullable: boolean }
  | { kind: 'boolean'; nullable: boolean }
  | { kind: 'array'; of: Shape; nullable: boolean }
  | { kind: 'object'; fields: Readonly<Record<string, Shape>>; nullable: boolean }
  | { kind: 'record'; of: Shape; nullable: boolean };

export interface FieldMeta {
  description: string;
  example: unknown;
}

/** Attaches the documentation of a fact field to its schema. */
export function field<T extends z.ZodType>(schema: T, description: string, example: z.input<T>): T {
  return schema.meta({ description, example }) as T;
}

export function metaOf(schema: z.ZodType): FieldMeta | undefined {
  const meta = z.globalRegistry.get(schema) as Partial<FieldMeta> | undefined;
  if (!meta || typeof meta.description !== 'string' || !('example' in meta)) return undefined;
  return { description: meta.description, example: meta.example };
}

interface ZodDefLike {
  type: string;
  innerType?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  entries?: Record<string, string>;
  values?: unknown[];
  format?: string;
  checks?: Array<{ _zod: { def: { format?: string; check?: string } } }>;
}

function defOf(schema: z.ZodType): ZodDefLike {
  return (schema as unknown as { _zod: { def: ZodDefLike } })._zod.def;
}

export function shapeOf(schema: z.ZodType): Shape {
  const def = defOf(schema);
  switch (def.type) {
    case 'nullable':
      return { ...shapeOf(def.innerType!), nullable: true };
    case 'number': {
      const formats = [def.format, ...(def.checks ?? []).map((c) => c._zod.def.format)];
      return {
        kind: 'number',
        integer: formats.some((f) => f === 'safeint' || f === 'int32'),
        nullable: false,
      };
    }
    case 'string': {
      const formats = [def.format, ...(def.checks ?? []).map((c) => c._zod.def.format)];
      return { kind: 'string', timestamp: formats.includes('datetime'), values: null, nullable: false };
    }
    case 'enum':
      return { kind: 'string', timestamp: false, values: Object.values(def.entries!), nullable: false };
    case 'boolean':
      return { kind: 'boolean', nullable: false };
    case 'array':
      return { kind: 'array', of: shapeOf(def.element!), nullable: false };
    case 'record':
      return { kind: 'record', of: shapeOf(def.valueType!), nullable: false };
    case 'object': {
      const fields: Record<string, Shape> = {};
      for (const [name, child] of Object.entries(def.shape!)) fields[name] = shapeOf(child);
      return { kind: 'object', fields, nullable: false };
    }
    default:
      throw new Error(`fact catalog: zod type "${def.type}" is not supported in fact shapes`);
  }
}

/** The field schemas of an object schema (unwrapping nullable), for documentation. */
export function objectFields(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  const def = defOf(schema);
  if (def.type === 'nullable') return objectFields(def.innerType!);
  if (def.type === 'object') return def.shape;
  return undefined;
}

/** The element schema of an array schema (unwrapping nullable). */
export function arrayElement(schema: z.ZodType): z.ZodType | undefined {
  const def = defOf(schema);
  if (def.type === 'nullable') return arrayElement(def.innerType!);
  return def.type === 'array' ? def.element : undefined;
}

/** Human words for a shape, as the admin documentation and error messages print them. */
export function describeShape(shape: Shape): string {
  const base = ((): string => {
    switch (shape.kind) {
      case 'number':
        return shape.integer ? 'whole number' : 'number';
      case 'string':
        if (shape.values) return `one of ${shape.values.map((v) => `"${v}"`).join(', ')}`;
        return shape.timestamp ? 'time (ISO 8601, UTC)' : 'text';
      case 'boolean':
        return 'true/false';
      case 'array':
        return `list of ${plural(describeShape(shape.of))}`;
      case 'object':
        return 'object';
      case 'record':
        return `map of name to ${describeShape(shape.of)}`;
    }
  })();
  return shape.nullable ? `${base} or null` : base;
}

function plural(words: string): string {
  if (words.startsWith('one of')) return `values ${words}`;
  if (words.startsWith('time')) return words.replace(/^time/, 'times');
  if (words === 'text') return 'texts';
  if (words === 'true/false') return 'true/false values';
  if (words.endsWith('number')) return `${words}s`;
  return words.startsWith('list of') ? `lists (${words})` : `${words}s`;
}
