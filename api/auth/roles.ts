/**
 * What each role may do. Roles are ordered: each one may do everything the one before it may.
 * `viewer` reads; `operator` also pauses, resumes and triggers runs, queries the warehouse through
 * an executor (`sluice fetchdf`) and manages the notification webhooks of its environments (whose
 * URLs may be secrets); `deployer` also submits and
 * applies plans; `admin` also manages API tokens and scheduler-managed warehouse connections.
 */
import { API_ROLES, type ApiRole } from '../../db/schema.ts';

export { API_ROLES, type ApiRole };

export type Permission =
  | 'read'
  | 'operate'
  | 'query'
  | 'deploy'
  | 'manage_tokens'
  | 'manage_connections'
  | 'manage_notifications';

const NEEDED: Record<Permission, ApiRole> = {
  read: 'viewer',
  operate: 'operator',
  query: 'operator',
  deploy: 'deployer',
  manage_tokens: 'admin',
  manage_connections: 'admin',
  manage_notifications: 'operator',
};

const DESCRIPTIONS: Record<Permission, string> = {
  read: 'read',
  operate: 'pause, resume and trigger runs',
  query: "query the environment's warehouse",
  deploy: 'submit and apply plans',
  manage_tokens: 'manage API tokens',
  manage_connections: 'manage warehouse connections',
  manage_notifications: 'manage notification webhooks',
};

/** Every permission, in the order of the roles that first have them. */
export const PERMISSIONS = (Object.keys(NEEDED) as Permission[]).sort(
  (a, b) => API_ROLES.indexOf(NEEDED[a]) - API_ROLES.indexOf(NEEDED[b]),
);

export function neededRole(permission: Permission): ApiRole {
  return NEEDED[permission];
}

export function describePermission(permission: Permission): string {
  return DESCRIPTIONS[permission];
}

export function roleAllows(role: ApiRole, permission: Permission): boolean {
  return API_ROLES.indexOf(role) >= API_ROLES.indexOf(NEEDED[permission]);
}
