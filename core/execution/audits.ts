/**
 * A model's audits rendered for one batch. Each audit reference becomes its query (a project audit
 * with the model's arguments or the audit's defaults, or a built-in audit; core/project/audit-query.ts),
 * rendered like the model's query (core/render.ts). `@this_model` is the model's physical table;
 * for an INCREMENTAL_BY_TIME_RANGE model it is that table restricted to the batch's interval, as
 * SQLMesh audits only the rows the batch wrote.
 */

import { auditQuery } from '../project/audit-query.ts';
import type { Audit } from '../project/types.ts';
import { followedByAlias, RenderError, type RenderInput, renderModelSql } from '../render.ts';
import { macroName, significant, tokenize } from '../sql/tokenize.ts';
import type { RenderedAudit } from './request.ts';
import { timeRangeCondition } from './time-filter.ts';

export interface AuditRenderInput extends RenderInput {
  /** the project's audits by name (built-in audits need no entry). */
  audits: Readonly<Record<string, Audit>>;
}

export function renderAudits(input: AuditRenderInput): RenderedAudit[] {
  const { model } = input;
  return model.audits.map((reference) => {
    let audit: ReturnType<typeof auditQuery>;
    try {
      audit = auditQuery(input.audits, reference);
    } catch (error) {
      throw new RenderError(model.name, error instanceof Error ? error.message : String(error));
    }
    const query = restrictThisModel(audit.query, input);
    let rendered: string;
    try {
      rendered = renderModelSql(query, input);
    } catch (error) {
      if (error instanceof RenderError) {
        throw new RenderError(model.name, `audit ${audit.name}: ${error.problem}`);
      }
      throw error;
    }
    return { name: audit.name, blocking: audit.blocking, query: rendered };
  });
}

/** For a time-range batch, `@this_model` becomes the physical table filtered to the interval. */
function restrictThisModel(sql: string, input: AuditRenderInput): string {
  const { model, interval } = input;
  const table = input.tables[model.name];
  if (model.kind.name !== 'INCREMENTAL_BY_TIME_RANGE' || interval === undefined || table === undefined)
    return sql;
  const kind = model.kind;
  const time =
    kind.timeColumnFormat === undefined
      ? { column: kind.timeColumn }
      : { column: kind.timeColumn, format: kind.timeColumnFormat };
  const filtered = `(SELECT * FROM ${table} WHERE ${timeRangeCondition(time, interval, model.columns)})`;
  const all = tokenize(sql);
  const meaningful = significant(all);
  let out = '';
  for (const token of all) {
    if (
      token.type === 'macro' &&
      !token.text.startsWith('@{') &&
      macroName(token).toLowerCase() === 'this_model'
    ) {
      const at = meaningful.indexOf(token);
      out += followedByAlias(meaningful, at + 1) ? filtered : `${filtered} AS this_model`;
    } else {
      out += token.text;
    }
  }
  return out;
}
