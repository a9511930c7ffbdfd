/**
 * The role each operation needs, read from the running app: the route guard `requirePermission`
 * registers in front of the handler (api/auth/authorize.ts) names its permission, and
 * api/auth/roles.ts says which role that permission needs. Operations without a guard (health,
 * metrics, the document) need none.
 */
import { guardedPermission } from '../../../api/auth/authorize.ts';
import { neededRole } from '../../../api/auth/roles.ts';
import type { ApiRole } from '../../../db/schema.ts';
import type { Operation } from './openapi-operations.ts';

interface RegisteredRoute {
  method: string;
  path: string;
  handler: unknown;
}

export function neededRoles(
  app: { routes: RegisteredRoute[] },
  operations: Operation[],
): Map<string, ApiRole> {
  const roles = new Map<string, ApiRole>();
  for (const operation of operations) {
    const honoPath = operation.template.replace(/\{([^}]+)\}/g, ':$1');
    const guards = app.routes
      .filter((r) => r.method === operation.method && r.path === honoPath)
      .map((r) => guardedPermission(r.handler))
      .filter((p) => p !== undefined);
    if (guards.length > 1) throw new Error(`${operation.key} has ${guards.length} permission guards`);
    if (guards[0] !== undefined) roles.set(operation.key, neededRole(guards[0]));
  }
  return roles;
}
