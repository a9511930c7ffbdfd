/**
 * A plan's TTL as the API reads it: the request's `ttl`, else the project's `sluice:
 * environment_ttl`, for a non-prod environment; a `ttl` that is not one is a 400 naming the value.
 */

import { parseTtl, TtlError } from '../core/environment/ttl.ts';
import { PROD_ENVIRONMENT } from '../core/naming.ts';
import { badRequest } from './errors.ts';

export function readTtl(ttl: string | undefined, environment: string, projectTtlMs?: number): number | null {
  if (ttl === undefined) return environment === PROD_ENVIRONMENT ? null : (projectTtlMs ?? null);
  if (environment === PROD_ENVIRONMENT) {
    throw badRequest('ttl: prod never expires; a TTL is for other environments', { field: 'ttl' });
  }
  try {
    return parseTtl(ttl, 'ttl');
  } catch (error) {
    if (error instanceof TtlError) throw badRequest(error.message, { field: 'ttl' });
    throw error;
  }
}
