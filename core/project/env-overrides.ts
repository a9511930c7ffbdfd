/**
 * Configuration from environment variables, as SQLMesh reads it: a variable named
 * `SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__PASSWORD` (or, for compatibility,
 * `SQLMESH__GATEWAYS__...`) sets `gateways.warehouse.connection.password`. The name is lower-cased
 * and split on `__`; the value is kept as a string (typed settings are converted where they are
 * read, see gateways.ts). Variables override config.yaml, and a `SLUICE__` variable overrides the
 * `SQLMESH__` variable for the same key. Executors use `gatewaysFromEnv` to build their warehouse
 * connections from their own environment, with no project at hand.
 */

import type { ConfigTree, ConfigValue } from './gateways.ts';
import { isTree, readGateways } from './gateways.ts';
import { Issues } from './issues.ts';
import type { GatewayConnection } from './types.ts';
import { ProjectError } from './types.ts';

export type Env = Readonly<Record<string, string | undefined>>;

export interface EnvOverride {
  /** the variable as written, e.g. `SLUICE__GATEWAYS__WH__CONNECTION__HOST`. */
  variable: string;
  /** lower-cased configuration path, e.g. `['gateways', 'wh', 'connection', 'host']`. */
  path: string[];
  value: string;
}

const PREFIXES = ['sqlmesh__', 'sluice__'] as const;
/** A SQLMesh variable that is not configuration. */
const NOT_CONFIG = 'sqlmesh__airflow__disable_state_migration';

/**
 * Configuration variables in the order they apply: every `SQLMESH__` one, then every `SLUICE__` one
 * (each group sorted by name, so the result does not depend on the environment's order).
 * Malformed names (`SLUICE__`, `SLUICE__GATEWAYS__`) are reported.
 */
export function readEnvOverrides(env: Env, issues: Issues): EnvOverride[] {
  const overrides: EnvOverride[] = [];
  for (const prefix of PREFIXES) {
    const names = Object.keys(env)
      .filter((name) => name.toLowerCase().startsWith(prefix) && name.toLowerCase() !== NOT_CONFIG)
      .sort();
    for (const variable of names) {
      const value = env[variable];
      if (value === undefined) continue;
      const path = variable.toLowerCase().split('__').slice(1);
      if (path.length === 0 || path.some((segment) => segment === '')) {
        issues.error(
          `$${variable}`,
          0,
          `invalid configuration variable ${variable} (expected ${prefix.toUpperCase()}KEY__SUBKEY)`,
        );
        continue;
      }
      overrides.push({ variable, path, value });
    }
  }
  return overrides;
}

/** Sets every override into `tree` (later ones win) and returns, per path, the variable that set it. */
export function applyEnvOverrides(tree: ConfigTree, overrides: EnvOverride[]): Map<string, string> {
  const sources = new Map<string, string>();
  for (const { variable, path, value } of overrides) {
    let target = tree;
    for (const key of path.slice(0, -1)) {
      const next: ConfigValue | undefined = target[key];
      if (!isTree(next)) target[key] = {};
      target = target[key] as ConfigTree;
    }
    target[path[path.length - 1]!] = value;
    sources.set(pathKey(path), variable);
  }
  return sources;
}

/** The key `applyEnvOverrides` uses for a configuration path. */
export function pathKey(path: string[]): string {
  return path.join('\u0000');
}

/**
 * Warehouse connections defined by environment variables alone
 * (`SLUICE__GATEWAYS__<NAME>__CONNECTION__TYPE=postgres`, `..._HOST=...`). Throws `ProjectError`
 * naming each variable that is wrong (a missing or unsupported type, a non-integer port, ...).
 * Error messages never echo a setting's value except for integer and boolean settings.
 */
export function gatewaysFromEnv(env: Env): Record<string, { connection: GatewayConnection }> {
  const issues = new Issues();
  const tree: ConfigTree = {};
  const sources = applyEnvOverrides(tree, readEnvOverrides(env, issues));
  const locate = (path: string[]) => ({ file: `$${variableFor(sources, path)}`, line: 0 });
  const gateways = readGateways(tree.gateways, tree.default_connection, locate, issues);
  if (issues.errors.length > 0) throw new ProjectError(issues.errors);
  return gateways;
}

/** The variable that set `path`, or else one that set something inside it, or else the one that would. */
export function variableFor(sources: Map<string, string>, path: string[]): string {
  const key = pathKey(path);
  const exact = sources.get(key);
  if (exact) return exact;
  for (const [setKey, variable] of sources) if (setKey.startsWith(`${key}\u0000`)) return variable;
  return `SLUICE__${path.map((p) => p.toUpperCase()).join('__')}`;
}
