/**
 * The SQL an audit reference runs: a project audit's query with its `@parameter` variables replaced
 * by the model's arguments (or the audit's defaults), or a built-in audit rendered from them.
 * sluice's own macro variables (`@this_model`, `@start_ds`, ...) are left for the macro renderer.
 * A project audit with the name of a built-in one takes its place, as in SQLMesh.
 */

import { macroName, tokenize } from '../sql/tokenize.ts';
import { findBuiltinAudit } from './builtin-audits.ts';
import type { Audit, AuditReference } from './types.ts';

export interface AuditToRun {
  name: string;
  query: string;
  /** a blocking audit fails the model's execution; a non-blocking one only warns. */
  blocking: boolean;
}

/** Throws when the reference names no audit (the loader reports that before anything runs). */
export function auditQuery(audits: Readonly<Record<string, Audit>>, ref: AuditReference): AuditToRun {
  const own = audits[ref.name];
  if (own) {
    const values: Record<string, string> = { ...own.defaults, ...ref.args };
    const query = tokenize(own.query)
      .map((t) => {
        if (t.type !== 'macro') return t.text;
        const value = values[macroName(t).toLowerCase()];
        return value === undefined ? t.text : value;
      })
      .join('');
    return { name: ref.name, query, blocking: own.blocking };
  }
  const builtin = findBuiltinAudit(ref.name);
  if (builtin) return { name: ref.name, query: builtin.audit.render(ref.args), blocking: builtin.blocking };
  throw new Error(`unknown audit '${ref.name}'`);
}
