/**
 * Validates the `gateways` section of a project's configuration (from config.yaml, environment
 * variables, or both) into named warehouse connections. Each connection is checked against the
 * connection schema (core/connection-schema.ts) in its partial form: the settings given must be
 * valid for the type, and settings the executor's environment may add are not required yet.
 * Problems are reported at the file and line (or variable) that set the setting.
 */

import { CONNECTION_TYPES, checkPartialConnection } from '../connection-schema.ts';
import type { Issues } from './issues.ts';
import type { GatewayConnection, GatewayType } from './types.ts';

export type ConfigValue = string | number | boolean | null | ConfigValue[] | ConfigTree;
export interface ConfigTree {
  [key: string]: ConfigValue;
}

/** Where a configuration path was written: a file (or `$VARIABLE`) and a line (0 for variables). */
export type Locate = (path: string[]) => { file: string; line: number };

export const GATEWAY_TYPES: readonly GatewayType[] = CONNECTION_TYPES;

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
  // a project's settings are text, numbers and booleans; the schema checks the rest
  const problems: { key: string; path: (string | number)[]; message: string }[] = [];
  const scalars: ConfigTree = {};
  for (const [key, value] of Object.entries(connection)) {
    if (typeof value === 'object' && value !== null) {
      const message = 'only string, number and boolean connection settings are supported by sluice';
      problems.push({ key, path: [key], message: `gateways.${gateway}.connection.${key}: ${message}` });
    } else scalars[key] = value;
  }
  const checked = checkPartialConnection(scalars);
  if (!checked.ok) {
    for (const issue of checked.issues) {
      const key = String(issue.path[0]);
      problems.push({
        key,
        path: issue.path.map(String),
        message: `gateways.${gateway}.connection.${issue.key}: ${issue.problem}`,
      });
    }
  }
  const order = Object.keys(connection);
  problems.sort((x, y) => order.indexOf(x.key) - order.indexOf(y.key));
  for (const problem of problems) at(problem.path as string[], problem.message);
  return problems.length === 0 && checked.ok ? (checked.value as GatewayConnection) : undefined;
}
