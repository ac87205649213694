/** A private copy of the shipped rules folder for tests that edit files. */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SHIPPED_RULES_DIR } from './rules';

export interface TempRules {
  dir: string;
  read(file: string): Promise<string>;
  write(file: string, content: string): Promise<void>;
  remove(): Promise<void>;
}

export async function copyShippedRules(): Promise<TempRules> {
  const dir = await mkdtemp(path.join(tmpdir(), 'provdb-rules-test-'));
  await cp(SHIPPED_RULES_DIR, dir, { recursive: true });
  return {
    dir,
    read: (file) => readFile(path.join(dir, file), 'utf8'),
    write: (file, content) => writeFile(path.join(dir, file), content),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
