/**
 * Writes small projects into temporary folders for loader tests, and removes them afterwards.
 */

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach } from 'vitest';
import type { LoadOptions } from '../../../core/project/load.ts';
import { inspectProject } from '../../../core/project/load.ts';
import { formatIssue } from '../../../core/project/types.ts';

export const DUCKDB_CONFIG = `gateways:
  local:
    connection:
      type: duckdb
      database: local.duckdb
model_defaults:
  dialect: duckdb
  start: '2024-01-01'
`;

/** Registers cleanup for the calling test file and returns a function that writes a project. */
export function useTempProjects(): (files: Record<string, string>) => string {
  const created: string[] = [];
  afterEach(() => {
    for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });
  return (files) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-project-'));
    created.push(dir);
    const all =
      'config.yaml' in files || 'config.yml' in files || 'config.py' in files
        ? files
        : { 'config.yaml': DUCKDB_CONFIG, ...files };
    for (const [file, content] of Object.entries(all)) {
      const target = path.join(dir, file);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, content);
    }
    return dir;
  };
}

/** Every problem of the project, formatted as `file:line: message (text)`. */
export function problems(dir: string, options: LoadOptions = {}): string[] {
  return inspectProject(dir, options).issues.map(formatIssue);
}

/** Every problem's `file:line: message`, without the offending text. */
export function messages(dir: string, options: LoadOptions = {}): string[] {
  return inspectProject(dir, options).issues.map((i) => formatIssue({ ...i, text: undefined }));
}
