/**
 * Validates the `gateways` section of a project's configuration (from config.yaml, environment
 * variables, or both) into named warehouse connections. Connection settings sluice does not know
 * are kept as written, because engines read them; settings SQLMesh types as integers or booleans
 * are converted the way SQLMesh's pydantic models convert them, so an environment variable
 * (always a string) means the same as the YAML value it replaces.
 */

import type { Issues } from './issues.ts';
import type { GatewayConnection, GatewayType } from './types.ts';

export type ConfigValue = string | number | boolean | null | ConfigValue[] | ConfigTree;
export interface ConfigTree {
  [key: string]: ConfigValue;
}

/** Where a configuration path was written: a file (or `$VARIABLE`) and a line (0 for variables). */
export type Locate = (path: string[]) => { file: string; line: number };

export const GATEWAY_TYPES: readonly GatewayType[] = ['duckdb', 'postgres'];

const INTEGER_SETTINGS = new Set(['port', 'concurrent_tasks', 'connect_timeout', 'keepalives_idle']);
const BOOLEAN_SETTINGS = new Set(['register_comments', 'pre_ping', 'pretty_sql']);
const STRING_SETTINGS = new Set([
  'host',
  'user',
  'password',
  'database',
  'role',
  'sslmode',
  'application_name',
  'token',
]);
const TRUE_TEXT = new Set(['1', 'on', 't', 'true', 'y', 'yes']);
const FALSE_TEXT = new Set(['0', 'off', 'f', 'false', 'n', 'no']);

/** Gateway keys SQLMesh has that sluice does not use. */
const IGNORED_GATEWAY_KEYS = new Set([
  'state_connection',
  'test_connection',
  'scheduler',
  'state_schema',
  'variables',
  'model_defaults',
]);

export function isTree(value: ConfigValue | undefined): value is ConfigTree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads `gateways` (a mapping of gateway name to `{ connection: {...} }`). Gateway names are
 * lower-cased, as SQLMesh does. `defaultConnection` (the top-level `default_connection`) is used
 * by gateways that have no connection of their own.
 */
export function readGateways(
  gateways: ConfigValue | undefined,
  defaultConnection: ConfigValue | undefined,
  locate: Locate,
  issues: Issues,
): Record<string, { connection: GatewayConnection }> {
  const result: Record<string, { connection: GatewayConnection }> = {};
  const at = (path: string[], message: string, text?: string) => {
    const where = locate(path);
    issues.error(where.file, where.line, message, text);
  };
  if (gateways === undefined || gateways === null) return result;
  if (!isTree(gateways)) {
    at(['gateways'], 'gateways must be a mapping of gateway names to { connection: ... }');
    return result;
  }
  for (const [name, gateway] of Object.entries(gateways)) {
    const path = ['gateways', name];
    if (!isTree(gateway)) {
      at(path, `gateway ${name} must be a mapping with a connection`);
      continue;
    }
    for (const key of Object.keys(gateway)) {
      if (key === 'connection') continue;
      const where = locate([...path, key]);
      if (IGNORED_GATEWAY_KEYS.has(key))
        issues.notice(where.file, where.line, `gateways.${name}.${key} is ignored by sluice`);
      else at([...path, key], `unknown key '${key}' in gateway ${name} (expected connection)`, key);
    }
    const own = gateway.connection;
    const connection = own === undefined || own === null ? defaultConnection : own;
    const connectionPath =
      own === undefined || own === null ? ['default_connection'] : [...path, 'connection'];
    if (connection === undefined || connection === null) {
      at(path, `gateway ${name} has no connection`);
      continue;
    }
    const read = readConnection(name, connection, connectionPath, locate, issues);
    if (read) result[name] = { connection: read };
  }
  return result;
}

function readConnection(
  gateway: string,
  connection: ConfigValue,
  path: string[],
  locate: Locate,
  issues: Issues,
): GatewayConnection | undefined {
  const at = (subPath: string[], message: string, text?: string) => {
    const where = locate([...path, ...subPath]);
    issues.error(where.file, where.line, message, text);
  };
  if (!isTree(connection)) {
    at([], `the connection of gateway ${gateway} must be a mapping of settings`);
    return undefined;
  }
  const type = connection.type;
  if (type === undefined || type === null) {
    at([], `the connection of gateway ${gateway} has no type (expected ${GATEWAY_TYPES.join(' or ')})`);
    return undefined;
  }
  if (typeof type !== 'string' || !(GATEWAY_TYPES as readonly string[]).includes(type)) {
    at(
      ['type'],
      `connection type '${String(type)}' of gateway ${gateway} is not supported by sluice (expected ${GATEWAY_TYPES.join(' or ')})`,
      String(type),
    );
    return undefined;
  }
  const result: GatewayConnection = { type: type as GatewayType };
  let ok = true;
  for (const [key, value] of Object.entries(connection)) {
    if (key === 'type' || value === null) continue;
    const setting = readSetting(key, value);
    if (typeof setting === 'object') {
      // Only integer and boolean settings are echoed: other values may be secrets.
      const echo = INTEGER_SETTINGS.has(key) || BOOLEAN_SETTINGS.has(key) ? String(value) : undefined;
      at([key], `gateways.${gateway}.connection.${key}: ${setting.error}`, echo);
      ok = false;
    } else {
      result[key] = setting;
    }
  }
  return ok ? result : undefined;
}

function readSetting(key: string, value: ConfigValue): string | number | boolean | { error: string } {
  if (typeof value === 'object') {
    return { error: 'only string, number and boolean connection settings are supported by sluice' };
  }
  if (INTEGER_SETTINGS.has(key)) {
    if (typeof value === 'number' && Number.isInteger(value)) return value;
    if (typeof value === 'string' && /^\s*[+-]?[0-9]+\s*$/.test(value)) return Number(value.trim());
    return { error: 'must be an integer' };
  }
  if (BOOLEAN_SETTINGS.has(key)) {
    if (typeof value === 'boolean') return value;
    const text = String(value).trim().toLowerCase();
    if (TRUE_TEXT.has(text)) return true;
    if (FALSE_TEXT.has(text)) return false;
    return { error: 'must be true or false' };
  }
  if (STRING_SETTINGS.has(key)) {
    if (typeof value === 'boolean') return { error: 'must be a string' };
    return String(value);
  }
  return value;
}
