/**
 * What the signed-in token may do, as the API answers it (GET /api/whoami, from the routes' own
 * guards): a button its role may not use is disabled with the refusal the API would give as its title.
 */
import { api, type Body, read } from './api.ts';
import { useLive } from './live.ts';

type Whoami = Body<Awaited<ReturnType<typeof api.whoami.$get>>>;
export type Permission = keyof Whoami['permissions'];

export interface Permitted {
  /** null until the API has answered. */
  allowed: boolean | null;
  reason: string | null;
}

/** Whether the token has `permission`, in `environment` when given (changes are scoped by environment). */
export function usePermission(permission: Permission, environment?: string): Permitted {
  const live = useLive(
    () => read(api.whoami.$get({ query: environment ? { environment } : {} })),
    `whoami ${environment ?? ''}`,
    60_000,
  );
  const answer = live.data?.permissions[permission];
  if (answer === undefined) return { allowed: null, reason: null };
  return { allowed: answer.allowed, reason: answer.reason };
}
