/**
 * Renders one batch of a scheduled run into the request an executor runs (core/execution): the
 * model's query and audits with the batch's macro values, every model name resolved to the physical
 * table the environment maps it to, and the statements of the model's kind. A plan's backfill
 * renders with `batchRequest` (core/plan/requests.ts) against the plan's new snapshot map instead.
 */
import { renderAudits } from '../../core/execution/audits.ts';
import type { ExecutionRequest } from '../../core/execution/request.ts';
import { buildExecution } from '../../core/execution/statements.ts';
import type { Interval } from '../../core/intervals.ts';
import { renderQuery } from '../../core/render.ts';
import type { EnvironmentModel, EnvironmentModels } from './environment-models.ts';

export interface RenderedBatch {
  request: ExecutionRequest;
  /** the model's query as rendered for the batch ('' for a seed). */
  renderedSql: string;
  gateway: string;
}

export function renderEnvironmentBatch(
  env: EnvironmentModels,
  entry: EnvironmentModel,
  interval: Interval | null,
  /** the value of `@execution_*`, epoch ms. */
  execution: number,
): RenderedBatch {
  const { model } = entry;
  const rendered = {
    model,
    models: env.definitions,
    tables: env.tables,
    execution,
    ...(interval ? { interval } : {}),
  };
  const renderedSql = model.kind.name === 'SEED' ? '' : renderQuery(rendered);
  const request = buildExecution({
    model,
    fingerprint: entry.fingerprint,
    query: renderedSql,
    ...(interval ? { interval } : {}),
    audits: renderAudits({ ...rendered, audits: env.audits }),
  });
  return { request, renderedSql, gateway: entry.gateway };
}
