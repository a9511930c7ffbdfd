/**
 * Whether the principal may do what it asks: its role must allow the action, and an action on an
 * environment must name one its patterns match. Reading needs only a role; patterns scope what a
 * token may change.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv, Principal } from '../context.ts';
import { forbidden } from '../errors.ts';
import { anyPatternMatches } from './patterns.ts';
import { describePermission, neededRole, type Permission, roleAllows } from './roles.ts';

export function checkRole(principal: Principal, permission: Permission): void {
  if (!roleAllows(principal.role, permission)) {
    throw forbidden(
      `${principal.actor} has role ${principal.role}; to ${describePermission(permission)} it needs role ` +
        `${neededRole(permission)} or higher`,
      { role: principal.role, needed: neededRole(permission) },
    );
  }
}

export function checkEnvironment(principal: Principal, environment: string): void {
  if (!anyPatternMatches(principal.environments, environment)) {
    throw forbidden(
      `${principal.actor} may act on environments ${principal.environments.join(', ')}, not "${environment}"`,
      { environment, allowed: principal.environments },
    );
  }
}

/** The permission each route guard checks, so tests can read a route's needed role from the app. */
const GUARDS = new WeakMap<object, Permission>();

/**
 * Route guard: the role must allow `permission`; when the path names an environment (`{env}`) and
 * the permission changes something, the token's patterns must match it.
 */
export function requirePermission(permission: Permission): MiddlewareHandler<AppEnv> {
  const guard: MiddlewareHandler<AppEnv> = async (c, next) => {
    const principal = c.get('principal');
    checkRole(principal, permission);
    const environment = c.req.param('env');
    if (permission !== 'read' && environment !== undefined) checkEnvironment(principal, environment);
    await next();
  };
  GUARDS.set(guard, permission);
  return guard;
}

/** The permission a handler made by `requirePermission` checks; undefined for any other handler. */
export function guardedPermission(handler: unknown): Permission | undefined {
  return typeof handler === 'function' ? GUARDS.get(handler) : undefined;
}

/** A route the app serves and the permission its guard checks. */
export interface GuardedRoute {
  method: string;
  /** as the OpenAPI document writes it: `/api/environments/{env}/pause`. */
  path: string;
  permission: Permission;
}

/** The guarded routes among `routes` (an app's `routes`), in the order the app registered them. */
export function guardedRoutes(
  routes: ReadonlyArray<{ method: string; path: string; handler: unknown }>,
): GuardedRoute[] {
  return routes.flatMap((route) => {
    const permission = guardedPermission(route.handler);
    if (permission === undefined) return [];
    return [{ method: route.method, path: route.path.replace(/:([^/]+)/g, '{$1}'), permission }];
  });
}
