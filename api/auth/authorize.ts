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

/**
 * A route that acts on every environment at once (the janitor) needs a token whose patterns
 * include `*`: no narrower pattern covers environments that do not exist yet.
 */
export function checkEveryEnvironment(principal: Principal, what: string): void {
  if (!principal.environments.includes('*')) {
    throw forbidden(
      `${principal.actor} may act on environments ${principal.environments.join(', ')}; ${what} acts on every environment, so it needs a token for all of them (*)`,
      { allowed: principal.environments },
    );
  }
}

/** What a route guard checks: the permission, and for a route over every environment, what it is. */
interface Guard {
  permission: Permission;
  everyEnvironment?: string;
}

/** Each route guard's check, so tests and whoami can read a route's needs from the app. */
const GUARDS = new WeakMap<object, Guard>();

/**
 * Route guard: the role must allow `permission`; when the path names an environment (`{env}`) and
 * the permission changes something, the token's patterns must match it. With `everyEnvironment`
 * (what the route is, for the refusal), the route acts on all environments and needs `*`.
 */
export function requirePermission(
  permission: Permission,
  options: { everyEnvironment?: string } = {},
): MiddlewareHandler<AppEnv> {
  const guard: MiddlewareHandler<AppEnv> = async (c, next) => {
    const principal = c.get('principal');
    checkRole(principal, permission);
    if (options.everyEnvironment !== undefined) checkEveryEnvironment(principal, options.everyEnvironment);
    const environment = c.req.param('env');
    if (permission !== 'read' && environment !== undefined) checkEnvironment(principal, environment);
    await next();
  };
  GUARDS.set(guard, { permission, everyEnvironment: options.everyEnvironment });
  return guard;
}

/** The permission a handler made by `requirePermission` checks; undefined for any other handler. */
export function guardedPermission(handler: unknown): Permission | undefined {
  return typeof handler === 'function' ? GUARDS.get(handler)?.permission : undefined;
}

/** A route the app serves and what its guard checks. */
export interface GuardedRoute extends Guard {
  method: string;
  /** as the OpenAPI document writes it: `/api/environments/{env}/pause`. */
  path: string;
}

/** The guarded routes among `routes` (an app's `routes`), in the order the app registered them. */
export function guardedRoutes(
  routes: ReadonlyArray<{ method: string; path: string; handler: unknown }>,
): GuardedRoute[] {
  return routes.flatMap((route) => {
    const guard = typeof route.handler === 'function' ? GUARDS.get(route.handler) : undefined;
    if (guard === undefined) return [];
    return [{ method: route.method, path: route.path.replace(/:([^/]+)/g, '{$1}'), ...guard }];
  });
}
