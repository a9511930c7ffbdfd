/**
 * Hot reload of an executor's gateways from its env file (`SLUICE_ENV_FILE`): each time the file
 * changes, its gateway variables are merged over the process's own, validated like at start-up
 * (errors name the variable, never a value) and handed to the engine pool, which gives every
 * changed gateway a new engine for new work and closes the old engine once the work using it is
 * done. A file that fails to load keeps the previous gateways (see workers/env-file.ts).
 */

import type { Env } from '../core/project/env-overrides.ts';
import type { EnginePool, PoolChange } from '../engines/pool.ts';
import { readGateways } from './config.ts';
import { EnvFileWatch, mergeEnvFile } from './env-file.ts';

export interface GatewayReloadOptions {
  /** the env file's absolute path. */
  file: string;
  pollMs?: number;
  /** the process's own gateway variables, which the file is merged over. */
  env: Env;
  /** folder that relative DuckDB database paths resolve against. */
  baseDir: string;
  /** an executor holding the encryption key may serve scheduler-managed connections only. */
  allowNoGateways?: boolean;
  log?: (line: string) => void;
}

/** A watch that applies the file's changes to `pool`; `start()` it, and `check()` before work. */
export function watchGatewayEnvFile(pool: EnginePool, options: GatewayReloadOptions): EnvFileWatch {
  return new EnvFileWatch(options.file, {
    ...(options.pollMs === undefined ? {} : { pollMs: options.pollMs }),
    ...(options.log === undefined ? {} : { log: options.log }),
    apply(variables) {
      const gateways = readGateways(mergeEnvFile(options.env, variables), options.baseDir, {
        allowNone: options.allowNoGateways ?? false,
      });
      const connections = Object.fromEntries(
        Object.entries(gateways).map(([name, gateway]) => [name, gateway.connection]),
      );
      return describeChange(pool.update(connections));
    },
  });
}

/** `gateways changed: a, b; added: c; removed: d`, or undefined when nothing changed. */
export function describeChange(change: PoolChange): string | undefined {
  const parts = [
    change.changed.length > 0 ? `gateways changed: ${change.changed.join(', ')}` : '',
    change.added.length > 0 ? `added: ${change.added.join(', ')}` : '',
    change.removed.length > 0 ? `removed: ${change.removed.join(', ')}` : '',
  ].filter((part) => part !== '');
  return parts.length === 0 ? undefined : parts.join('; ');
}
