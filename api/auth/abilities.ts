/**
 * What a principal may do, as the checks the routes make would answer: each permission of roles.ts
 * and each route that changes something, allowed or not, with the refusal the route would give.
 * Nothing here decides anew: it asks checkRole and checkEnvironment, the route guards' own checks.
 */
import type { Principal } from '../context.ts';
import { ApiError } from '../errors.ts';
import { checkEnvironment, checkEveryEnvironment, checkRole, type GuardedRoute } from './authorize.ts';
import { describePermission, neededRole, PERMISSIONS, type Permission } from './roles.ts';

export interface Ability {
  allowed: boolean;
  /** the route's refusal when not allowed, null otherwise. */
  reason: string | null;
}

/**
 * Whether `principal` has `permission`; with `environment`, whether it may also use it there (a
 * permission that changes something is scoped by the token's environment patterns; reading is not).
 */
export function ability(
  principal: Principal,
  permission: Permission,
  environment?: string,
  everyEnvironment?: string,
): Ability {
  try {
    checkRole(principal, permission);
    if (everyEnvironment !== undefined) checkEveryEnvironment(principal, everyEnvironment);
    if (environment !== undefined && permission !== 'read') checkEnvironment(principal, environment);
    return { allowed: true, reason: null };
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) return { allowed: false, reason: error.message };
    throw error;
  }
}

export function abilities(principal: Principal, routes: readonly GuardedRoute[], environment?: string) {
  return {
    permissions: Object.fromEntries(
      PERMISSIONS.map((permission) => [
        permission,
        {
          description: describePermission(permission),
          needs: neededRole(permission),
          ...ability(principal, permission, environment),
        },
      ]),
    ) as Record<Permission, Ability & { description: string; needs: Principal['role'] }>,
    actions: routes
      .filter((route) => route.method !== 'GET')
      .map((route) => ({
        method: route.method,
        path: route.path,
        permission: route.permission,
        ...ability(principal, route.permission, environment, route.everyEnvironment),
      })),
  };
}
