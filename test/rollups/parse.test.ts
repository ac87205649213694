import assert from 'node:assert/strict';
import { parseInstant } from '../../src/rollups/parse';

describe('rollups parseInstant', () => {
  it('reads a date as midnight UTC and a date-time without offset as UTC', () => {
    assert.equal(parseInstant('2026-01-05').toISOString(), '2026-01-05T00:00:00.000Z');
    assert.equal(parseInstant('2026-01-05T10:30').toISOString(), '2026-01-05T10:30:00.000Z');
    assert.equal(parseInstant('2026-01-05 10:30:15.25').toISOString(), '2026-01-05T10:30:15.250Z');
  });

  it('honours an offset', () => {
    assert.equal(parseInstant('2026-01-05T10:30:00+02:00').toISOString(), '2026-01-05T08:30:00.000Z');
    assert.equal(parseInstant('2026-01-05T10:30Z').toISOString(), '2026-01-05T10:30:00.000Z');
  });

  it('rejects dates that do not exist instead of rolling them over', () => {
    assert.throws(() => parseInstant('2026-02-30'), /not a real date/);
    assert.throws(() => parseInstant('2026-01-05T25:00'), /not a real date/);
    assert.throws(() => parseInstant('2026-01-05T10:00+15:00'), /offset/);
  });

  it('rejects other formats, naming the value', () => {
    assert.throws(() => parseInstant('05/01/2026'), /"05\/01\/2026" is not a date/);
    assert.throws(() => parseInstant('yesterday'), /"yesterday" is not a date/);
  });
});
