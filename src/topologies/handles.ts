/**
 * The port an edge end names, from a React Flow handle id or from `data.sourcePort` /
 * `data.targetPort`. Both accept the same grammar (case-insensitive, surrounding spaces
 * ignored):
 *
 *   3            port 3; side from the edge end (or the device's In_Port/Out_Port)
 *   port-3       the same (`port:3`, `port_3`, `port3`)
 *   in-3         port 3 on the device's in side (`in:3`, `in_3`, `in3`, `input-3`, `target-3`)
 *   out-3        port 3 on the device's out side (`out:3`, `output-3`, `source-3`)
 *   in, out      a side only (`input`, `output`, `target`, `source`): the device's
 *                In_Port / Out_Port
 *   (none)       null, undefined or "": no port named
 *
 * A JSON number is a port too (3). Ports are whole numbers from 1 to MAX_PORT. Anything else
 * (3.5, "0", "eth0", "in-3-4", an object) is refused with the reason.
 */
import { describeValue } from './text';
import type { PortSide } from './types';

/** Largest switch port number accepted. */
export const MAX_PORT = 65535;

export type PortSpec =
  | { ok: true; port: number | null; side: PortSide | null; text: string | null }
  | { ok: false; reason: string };

const PATTERN = /^(?:(in|input|target|out|output|source|port)(?:\s*[-:_]?\s*(\d{1,9}))?|(\d{1,9}))$/;
const SIDES: Record<string, PortSide | null> = {
  in: 'in',
  input: 'in',
  target: 'in',
  out: 'out',
  output: 'out',
  source: 'out',
  port: null,
};
const FORMATS = 'a port number, port-N, in-N, out-N, in or out';

export function parsePortSpec(value: unknown): PortSpec {
  if (value === undefined || value === null) return { ok: true, port: null, side: null, text: null };
  if (typeof value === 'number') {
    if (!Number.isInteger(value))
      return { ok: false, reason: `${describeValue(value)} is not a whole number` };
    return checkRange(value, null, String(value));
  }
  if (typeof value !== 'string') {
    return { ok: false, reason: `${describeValue(value)} is not a port (expected ${FORMATS})` };
  }
  const text = value.trim();
  if (text === '') return { ok: true, port: null, side: null, text: null };
  const match = text.length <= 40 ? PATTERN.exec(text.toLowerCase()) : null;
  if (!match || (match[1] === 'port' && match[2] === undefined)) {
    return { ok: false, reason: `${describeValue(value)} is not a port (expected ${FORMATS})` };
  }
  const side = match[1] === undefined ? null : (SIDES[match[1]] ?? null);
  const digits = match[2] ?? match[3];
  if (digits === undefined) return { ok: true, port: null, side, text };
  return checkRange(Number(digits), side, text);
}

function checkRange(port: number, side: PortSide | null, text: string): PortSpec {
  if (port < 1 || port > MAX_PORT) {
    return { ok: false, reason: `port ${describeValue(text)} is outside 1..${MAX_PORT}` };
  }
  return { ok: true, port, side, text };
}

/** How a port reads in messages: `out-6`, `in-5`, `port 7`. */
export function portLabel(port: number | null, side: PortSide | null): string {
  if (port === null) return side ? `its ${side} port` : 'no port';
  return side ? `${side}-${port}` : `port ${port}`;
}
