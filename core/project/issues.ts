/**
 * Collects the problems and notices found while loading a project, so one pass reports all of them.
 */

import type { ProjectIssue } from './types.ts';
import { formatIssue } from './types.ts';

export class Issues {
  readonly errors: ProjectIssue[] = [];
  readonly notices: string[] = [];

  error(file: string, line: number, message: string, text?: string): void {
    this.errors.push(text === undefined ? { file, line, message } : { file, line, message, text });
  }

  /** Something sluice ignores; `line` 0 names the whole file. */
  notice(file: string, line: number, message: string): void {
    this.notices.push(formatIssue({ file, line, message }));
  }
}
