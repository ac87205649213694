/** Reading the repository's operations files (Prometheus, Grafana, compose) in tests. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { load } from 'js-yaml';
import type { z } from 'zod';

export const REPO = path.resolve(__dirname, '../..');

export function repoPath(relative: string): string {
  return path.join(REPO, relative);
}

export function readText(relative: string): string {
  return readFileSync(repoPath(relative), 'utf8');
}

/** Parses a YAML file of the repository and checks its shape, naming the file on error. */
export function readYaml<T extends z.ZodType>(relative: string, schema: T): z.infer<T> {
  let parsed: unknown;
  try {
    parsed = load(readText(relative));
  } catch (error) {
    throw new Error(`${relative} is not valid YAML`, { cause: error });
  }
  const result = schema.safeParse(parsed);
  if (!result.success) throw new Error(`${relative} has an unexpected shape: ${result.error.message}`);
  return result.data;
}

/** GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces to dashes. */
export function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Anchors of every heading of a Markdown file. */
export function markdownAnchors(relative: string): Set<string> {
  const anchors = new Set<string>();
  let fenced = false;
  for (const line of readText(relative).split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    const match = fenced ? null : /^#{1,6}\s+(.*)$/.exec(line);
    if (match) anchors.add(headingAnchor(match[1]!));
  }
  return anchors;
}
