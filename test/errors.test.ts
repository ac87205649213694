import assert from 'node:assert/strict';
import {
  classifyError,
  describeError,
  InvalidPayloadError,
  isTransientError,
  RowNotFoundError,
  TransientError,
} from '../src/errors';

const pgError = (code: string, message = 'pg error') => Object.assign(new Error(message), { code });

describe('error taxonomy', () => {
  it('classifies our own errors', () => {
    assert.equal(classifyError(new InvalidPayloadError('bad')), 'invalid');
    assert.equal(classifyError(new RowNotFoundError('booking_table', 42)), 'not_found');
    assert.equal(classifyError(new TransientError('busy')), 'transient');
    assert.equal(classifyError(new TypeError('x is undefined')), 'fatal');
    assert.equal(new RowNotFoundError('booking_table', 42).message, 'booking_table row 42 not found');
  });

  it('recognises serialization failures, deadlocks and lost connections as transient', () => {
    for (const code of ['40001', '40P01', '57P01', '08006', 'ECONNREFUSED', 'ECONNRESET']) {
      assert.ok(isTransientError(pgError(code)), code);
    }
    assert.ok(isTransientError(new Error('Connection terminated unexpectedly')));
    assert.ok(isTransientError(new Error('Connection ended unexpectedly')));
    // knex prefixes the statement that hit the broken connection.
    assert.ok(isTransientError(new Error('BEGIN; - Connection terminated unexpectedly')));
    assert.ok(
      isTransientError(
        new Error('ROLLBACK - Client has encountered a connection error and is not queryable'),
      ),
    );
    assert.ok(isTransientError(new Error("Stream isn't writeable and enableOfflineQueue options is false")));
    assert.ok(isTransientError(Object.assign(new Error('timeout'), { name: 'KnexTimeoutError' })));
    assert.ok(isTransientError(new AggregateError([pgError('ECONNREFUSED')], 'connect failed')));
  });

  it('looks through wrapping causes', () => {
    assert.ok(
      isTransientError(new Error('refresh failed', { cause: pgError('40P01', 'deadlock detected') })),
    );
  });

  it('does not retry constraint violations or syntax errors', () => {
    for (const code of ['23505', '23P01', '42601', '22P02'])
      assert.equal(classifyError(pgError(code)), 'fatal', code);
  });
});

describe('describeError', () => {
  it('adds the cause of a wrapping error, and cuts huge messages', () => {
    assert.equal(
      describeError(new Error('refresh failed', { cause: new Error('deadlock detected') })),
      'refresh failed (caused by: deadlock detected)',
    );
    const huge = describeError(new Error('x'.repeat(100_000)));
    assert.ok(huge.length < 2_100);
    assert.match(huge, /… \(100000 characters\)$/);
  });
});
