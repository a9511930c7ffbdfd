/**
 * Creates the physical tables (or views) of prepared batches without writing any data: each
 * request's leading create statements (schema, empty table or view; see `createStatements` in
 * core/execution/request.ts), one transaction per request. Running it again changes nothing.
 */

import type { ExecutionRequest } from '../../core/execution/request.ts';
import type { Engine } from '../../engines/engine.ts';
import { ensurePhysicalSchemas } from '../../engines/views.ts';

export async function createPhysicalTables(
  engine: Engine,
  requests: readonly ExecutionRequest[],
  options: { signal?: AbortSignal } = {},
): Promise<void> {
  await ensurePhysicalSchemas(engine, requests);
  for (const request of requests) {
    await engine.runInTransaction(request.statements.slice(0, request.createStatements), options);
  }
}
