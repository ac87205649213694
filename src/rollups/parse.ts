/**
 * Instants typed by people (CLI options): a UTC date, or an ISO 8601 date-time that is UTC
 * unless it carries an offset. Strict: `2024-02-30` or hour 25 is an error, never a rollover.
 */

const PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:\d{2})?)?$/;

export function parseInstant(value: string): Date {
  const m = PATTERN.exec(value.trim());
  if (!m) {
    throw new Error(
      `${JSON.stringify(value)} is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM]`,
    );
  }
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Number((m[7] ?? '0').padEnd(3, '0').slice(0, 3));
  if (y < 1) throw new Error(`${JSON.stringify(value)} is not a real date: there is no year 0`);
  // Not Date.UTC: it reads years 0-99 as 1900-1999.
  const check = new Date(0);
  check.setUTCFullYear(y, mo - 1, d);
  check.setUTCHours(h, mi, s, ms);
  const utc = check.getTime();
  if (
    check.getUTCFullYear() !== y ||
    check.getUTCMonth() !== mo - 1 ||
    check.getUTCDate() !== d ||
    check.getUTCHours() !== h ||
    check.getUTCMinutes() !== mi ||
    check.getUTCSeconds() !== s
  ) {
    throw new Error(`${JSON.stringify(value)} is not a real date and time`);
  }
  const offset = m[8];
  let offsetMinutes = 0;
  if (offset && offset !== 'Z') {
    const oh = Number(offset.slice(1, 3));
    const om = Number(offset.slice(4, 6));
    if (oh > 14 || om > 59) throw new Error(`${JSON.stringify(value)} has an invalid UTC offset`);
    offsetMinutes = (offset.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  return new Date(utc - offsetMinutes * 60_000);
}
