/**
 * What a test run shares: the server URLs and this run's unique id. Each run (and each
 * worktree running tests at the same time) gets its own databases and queue prefixes.
 */
import { randomBytes } from 'node:crypto';

export const TEST_PG_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

// Set once by the global setup; child processes and test files read it from the environment.
process.env.PROVDB_TEST_RUN_ID ??= `${process.pid.toString(36)}${randomBytes(3).toString('hex')}`;
export const RUN_ID = process.env.PROVDB_TEST_RUN_ID;

export const TEMPLATE_DB = `provdb_test_${RUN_ID}_tpl`;
