/**
 * What the signed-in token may do in an environment (GET /api/whoami), so a page disables the
 * buttons it may not use and says why. The API refuses such requests anyway; this spares the attempt.
 */
import { api, read } from './api.ts';
import { useLive } from './live.ts';

export interface Ability {
  allowed: boolean;
  /** the refusal the API would give, when not allowed. */
  reason: string | null;
}

const UNKNOWN: Ability = { allowed: false, reason: 'checking what your token may do…' };

/** Whether the token may pause, resume and trigger runs in `environment`. */
export function useOperate(environment: string): Ability {
  const live = useLive(
    () => read(api.whoami.$get({ query: { environment } })),
    `whoami ${environment}`,
    60_000,
  );
  const operate = live.data?.permissions.operate;
  if (operate === undefined) {
    return live.error ? { allowed: false, reason: `could not tell: ${live.error.message}` } : UNKNOWN;
  }
  return { allowed: operate.allowed, reason: operate.allowed ? null : operate.reason };
}
