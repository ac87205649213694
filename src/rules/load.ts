/**
 * Reading a rules folder: every `*.json` file directly in it is one policy (sub-folders such as
 * `tests/` are not policies; hidden and editor backup files are ignored). The result is a
 * snapshot, or the complete list of problems, never a partly loaded set.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { boundRuleFileError, type RuleFileError } from './errors';
import { parseJson } from './json';
import { type Policy, validatePolicy } from './policy';
import { createSnapshot, type RuleSetSnapshot, revisionOf, type SourceFile } from './snapshot';

/** Larger files are refused: a policy is a few kilobytes; a huge file is a mistake. */
export const MAX_POLICY_FILE_BYTES = 1_000_000;

export type RuleSetLoad =
  | { ok: true; snapshot: RuleSetSnapshot }
  | { ok: false; errors: RuleFileError[]; revision?: string };

/** Whether a directory entry name is a policy file. */
export function isPolicyFileName(name: string): boolean {
  return name.endsWith('.json') && !name.startsWith('.') && !name.startsWith('#');
}

/** Reads the policy files of a folder (names relative to it), sorted by name. */
export async function readPolicyFiles(
  dir: string,
): Promise<{ files: SourceFile[]; errors: RuleFileError[] }> {
  const label = path.basename(dir) || dir;
  let names: string[];
  try {
    names = (await readdir(dir)).filter(isPolicyFileName).sort();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'folder does not exist'
        : code === 'ENOTDIR'
          ? 'not a folder'
          : (error as Error).message;
    return { files: [], errors: [{ file: dir, message: `cannot read the rules folder: ${why}` }] };
  }
  const files: SourceFile[] = [];
  const errors: RuleFileError[] = [];
  for (const name of names) {
    const full = path.join(dir, name);
    try {
      const info = await stat(full);
      if (!info.isFile()) continue;
      if (info.size > MAX_POLICY_FILE_BYTES) {
        errors.push({
          file: name,
          message: `file is ${info.size} bytes; a policy file may be at most ${MAX_POLICY_FILE_BYTES}`,
        });
        continue;
      }
      files.push({ name, content: await readFile(full, 'utf8') });
    } catch (error) {
      // A file removed between readdir and read (an editor saving) is simply not there.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      errors.push({ file: name, message: `cannot read: ${(error as Error).message}` });
    }
  }
  if (files.length === 0 && errors.length === 0) {
    errors.push({ file: label, message: 'no policy files (*.json) in the rules folder' });
  }
  return { files, errors };
}

/** Parses and validates policy file contents into a snapshot. */
export function buildRuleSet(files: readonly SourceFile[], dir = ''): RuleSetLoad {
  const errors: RuleFileError[] = [];
  const policies: Policy[] = [];
  const owners = new Map<string, string>();
  for (const file of files) {
    const parsed = parseJson(file.content);
    if (!parsed.ok) {
      errors.push({
        file: file.name,
        line: parsed.line,
        column: parsed.column,
        message: `JSON syntax error: ${parsed.message}`,
      });
      continue;
    }
    const checked = validatePolicy(parsed.value, file.name);
    if (!checked.ok) {
      errors.push(...checked.errors);
      continue;
    }
    const other = owners.get(checked.policy.policy);
    if (other !== undefined) {
      errors.push({
        file: file.name,
        at: 'policy',
        message: `the policy name "${checked.policy.policy}" is already used by ${other}`,
      });
      continue;
    }
    owners.set(checked.policy.policy, file.name);
    policies.push(checked.policy);
  }
  const revision = revisionOf(files);
  if (errors.length > 0) return { ok: false, errors: errors.map(boundRuleFileError), revision };
  return { ok: true, snapshot: createSnapshot(policies, revision, dir) };
}

/** Loads a rules folder. */
export async function loadRuleSet(dir: string): Promise<RuleSetLoad> {
  const { files, errors } = await readPolicyFiles(dir);
  const built = buildRuleSet(files, dir);
  if (errors.length === 0) return built;
  return { ok: false, errors: [...errors, ...(built.ok ? [] : built.errors)] };
}
