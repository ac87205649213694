import assert from 'node:assert/strict';
import { DEFAULT_RETRY_POLICY, retryDelayMs } from '../../src/queues/retry';

describe('retry delays', () => {
  const rule = { attempts: 10, baseDelayMs: 1_000, maxDelayMs: 60_000 };

  it('doubles after each run, between half and all of the exponential delay', () => {
    assert.equal(
      retryDelayMs(rule, 1, () => 1),
      1_000,
    );
    assert.equal(
      retryDelayMs(rule, 1, () => 0),
      500,
    );
    assert.equal(
      retryDelayMs(rule, 4, () => 1),
      8_000,
    );
    assert.equal(
      retryDelayMs(rule, 4, () => 0),
      4_000,
    );
  });

  it('never waits longer than maxDelayMs', () => {
    assert.equal(
      retryDelayMs(rule, 30, () => 1),
      60_000,
    );
    assert.equal(
      retryDelayMs(rule, 1_000, () => 1),
      60_000,
    );
  });

  it('gives missing rows up to about two minutes and transient errors up to about half an hour', () => {
    const total = (r: typeof rule) => {
      let sum = 0;
      for (let attempt = 1; attempt < r.attempts; attempt++) sum += retryDelayMs(r, attempt, () => 1);
      return sum / 60_000;
    };
    assert.ok(
      Math.abs(total(DEFAULT_RETRY_POLICY.notFound) - 2.05) < 0.1,
      String(total(DEFAULT_RETRY_POLICY.notFound)),
    );
    assert.ok(
      Math.abs(total(DEFAULT_RETRY_POLICY.transient) - 33.5) < 1,
      String(total(DEFAULT_RETRY_POLICY.transient)),
    );
  });
});
