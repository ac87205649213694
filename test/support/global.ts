// Mocha global fixtures: one migrated template database per test run.
import { createTemplate, dropTemplate } from './db';

export async function mochaGlobalSetup(): Promise<void> {
  await createTemplate();
}

export async function mochaGlobalTeardown(): Promise<void> {
  await dropTemplate();
}
