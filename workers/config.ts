/**
 * A worker process's configuration (twelve-factor: the same image runs as scheduler, run executor
 * or apply executor). Its variables are declared in config/variables.ts and read once at start-up;
 * what is built on them here (the gateways, the env file, the connection keyring; the Temporal
 * connection in workers/temporal-config.ts) needs the rest of sluice.
 *
 * Errors name the variable and its value, except for values that may be secret (API key,
 * database URL, gateway passwords), which are never shown.
 */

import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { encryptionKeyring } from '../api/connection-options.ts';
import type { ArtifactSettings } from '../artifacts/from-config.ts';
import { ConfigurationError } from '../config/configuration-error.ts';
import { type ConfigOf, type Environment, readConfig } from '../config/read.ts';
import type { Values } from '../config/variables.ts';
import type { LinkBases } from '../core/notifications/links.ts';
import { type Env, gatewaysFromEnv } from '../core/project/env-overrides.ts';
import { formatIssue, type GatewayConnection, ProjectError } from '../core/project/types.ts';
import type { Keyring } from '../crypto/keyring.ts';
import { parseGatewayConnection } from '../engines/config.ts';
import { EngineConfigError } from '../engines/errors.ts';
import { EnvFileError, isGatewayVariable, mergeEnvFile, readEnvFile } from './env-file.ts';
import { type TemporalConfig, temporalConfig } from './temporal-config.ts';
import { WORKER_ROLES, type WorkerRole } from './worker-roles.ts';

export { WORKER_ROLES, type WorkerRole } from './worker-roles.ts';

export interface WorkerConfig {
  role: WorkerRole;
  temporal: TemporalConfig;
  identity: string;
  shutdownGraceMs: number;
  /** scheduler only; undefined for the embedded PGlite database. */
  databaseUrl?: string;
  /** scheduler only: SLUICE_HOME, where the embedded PGlite database lives (in `state/`). */
  home?: string;
  /** scheduler only: SLUICE_PUBLIC_API_URL and SLUICE_TEMPORAL_UI_URL, the bases of notification links. */
  notificationLinks?: LinkBases;
  /** scheduler only: SLUICE_ARTIFACTS and its S3 settings; the `artifacts` folder in the home when unset. */
  artifacts?: ArtifactSettings;
  /** scheduler only: SLUICE_ARTIFACT_RETENTION in ms; null: kept forever. */
  artifactRetentionMs?: number | null;
  /** SLUICE_JANITOR_GRACE (scheduler). */
  janitorGraceMs?: number;
  /** executors only: the warehouse connections, by gateway name. */
  gateways: Record<string, { connection: GatewayConnection }>;
  /** executors only. */
  defaultGateway?: string;
  /** the folder relative DuckDB database paths resolve against (the working directory). */
  baseDir: string;
  /** the health port (SLUICE_HEALTH_PORT); undefined: no health checks are served. */
  healthPort?: number;
  /** set with healthPort: the address it listens on. */
  healthHost?: string;
  /** set with healthPort: how long each readiness check may take. */
  readyTimeoutMs?: number;
  /** executors only: the absolute path of SLUICE_ENV_FILE. */
  envFile?: string;
  /** set with envFile: how often it is checked for changes. */
  envFilePollMs?: number;
  /** set with envFile: the process's own gateway variables, which each reload merges the file over. */
  gatewayEnv?: Env;
  /** executors only: SLUICE_MAX_MEMORY_MB. */
  maxMemoryMb?: number;
  /** executors only: SLUICE_ENCRYPTION_KEY (and _PREVIOUS), for scheduler-managed connections. */
  encryption?: Keyring;
  /** executors only: how often the executor reports its presence (SLUICE_PRESENCE_INTERVAL). */
  presenceIntervalMs?: number;
}

export interface ReadConfigOptions {
  hostname?: string;
  pid?: number;
  cwd?: string;
}

export function readWorkerConfig(
  role: WorkerRole,
  env: Environment,
  options: ReadConfigOptions = {},
): WorkerConfig {
  if (!WORKER_ROLES.includes(role)) {
    throw new ConfigurationError(
      `unknown worker role ${JSON.stringify(role)}; expected one of ${WORKER_ROLES.join(', ')}`,
    );
  }
  if (role === 'scheduler') {
    const values = readConfig('scheduler', env);
    const config = baseConfig(role, values, options);
    if (values.SLUICE_DATABASE_URL !== undefined) config.databaseUrl = values.SLUICE_DATABASE_URL;
    if (values.SLUICE_HOME !== undefined) config.home = values.SLUICE_HOME;
    config.notificationLinks = {
      ...(values.SLUICE_PUBLIC_API_URL === undefined ? {} : { api: values.SLUICE_PUBLIC_API_URL }),
      ...(values.SLUICE_TEMPORAL_UI_URL === undefined ? {} : { temporalUi: values.SLUICE_TEMPORAL_UI_URL }),
    };
    config.artifacts = {
      SLUICE_ARTIFACTS: values.SLUICE_ARTIFACTS,
      SLUICE_ARTIFACTS_S3_ENDPOINT: values.SLUICE_ARTIFACTS_S3_ENDPOINT,
      SLUICE_ARTIFACTS_S3_REGION: values.SLUICE_ARTIFACTS_S3_REGION,
      SLUICE_ARTIFACTS_S3_ACCESS_KEY_ID: values.SLUICE_ARTIFACTS_S3_ACCESS_KEY_ID,
      SLUICE_ARTIFACTS_S3_SECRET_ACCESS_KEY: values.SLUICE_ARTIFACTS_S3_SECRET_ACCESS_KEY,
    };
    config.artifactRetentionMs = values.SLUICE_ARTIFACT_RETENTION;
    config.janitorGraceMs = values.SLUICE_JANITOR_GRACE;
    return config;
  }
  const values = readConfig('executor', env);
  const config = baseConfig(role, values, options);
  const gatewayEnv = readEnvFileSettings(env, values, config);
  const encryption = encryptionKeyring(values);
  if (encryption !== undefined) config.encryption = encryption;
  config.gateways = readGateways(gatewayEnv, config.baseDir, { allowNone: encryption !== undefined });
  const names = Object.keys(config.gateways).sort();
  const defaultGateway = readDefaultGateway(gatewayEnv, names);
  if (defaultGateway !== undefined) config.defaultGateway = defaultGateway;
  if (values.SLUICE_MAX_MEMORY_MB !== undefined) config.maxMemoryMb = values.SLUICE_MAX_MEMORY_MB;
  config.presenceIntervalMs = values.SLUICE_PRESENCE_INTERVAL;
  return config;
}

/** What every worker has: Temporal, identity, grace time, and the health port when one is set. */
function baseConfig(
  role: WorkerRole,
  values: ConfigOf<'scheduler'> | ConfigOf<'executor'>,
  options: ReadConfigOptions,
): WorkerConfig {
  const config: WorkerConfig = {
    role,
    temporal: temporalConfig(values),
    identity:
      values.SLUICE_EXECUTOR_IDENTITY ??
      `${role}@${options.hostname ?? hostname()}:${options.pid ?? process.pid}`,
    shutdownGraceMs: values.SLUICE_SHUTDOWN_GRACE,
    gateways: {},
    baseDir: resolve(options.cwd ?? process.cwd()),
  };
  if (values.SLUICE_HEALTH_PORT !== undefined) {
    config.healthPort = values.SLUICE_HEALTH_PORT;
    config.healthHost = values.SLUICE_HEALTH_HOST;
    config.readyTimeoutMs = values.SLUICE_READY_TIMEOUT;
  }
  return config;
}

/** An executor's gateways from its (merged) environment; errors name the variable, never a password. */
export function readGateways(
  env: Env,
  baseDir: string,
  options: { allowNone?: boolean } = {},
): Record<string, { connection: GatewayConnection }> {
  let gateways: Record<string, { connection: GatewayConnection }>;
  try {
    gateways = gatewaysFromEnv(env);
  } catch (error) {
    if (error instanceof ProjectError) {
      throw new ConfigurationError(
        `invalid gateway configuration: ${error.issues.map((i) => formatIssue(i)).join('; ')}`,
      );
    }
    throw error;
  }
  if (Object.keys(gateways).length === 0 && options.allowNone !== true) {
    throw new ConfigurationError(
      'no gateways configured: an executor needs at least one warehouse connection, e.g. ' +
        'SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__TYPE=postgres with its HOST, DATABASE, USER and PASSWORD, ' +
        'or SLUICE_ENCRYPTION_KEY to use the connections stored with `sluice connections add`',
    );
  }
  for (const [name, { connection }] of Object.entries(gateways)) {
    try {
      parseGatewayConnection(name, connection, { baseDir });
    } catch (error) {
      if (!(error instanceof EngineConfigError)) throw error;
      const variable = error.key === undefined ? undefined : connectionVariable(env, name, error.key);
      throw new ConfigurationError(variable === undefined ? error.message : `${variable}: ${error.message}`);
    }
  }
  return gateways;
}

/** The variable that set a gateway's connection key (the `SLUICE__` one wins), or the one that would. */
function connectionVariable(env: Env, gateway: string, key: string): string {
  const path = `gateways__${gateway}__connection__${key.split(/[.[]/)[0]}`.toLowerCase();
  const set = Object.keys(env).filter(
    (name) => name.toLowerCase() === `sluice__${path}` || name.toLowerCase() === `sqlmesh__${path}`,
  );
  return (
    set.find((name) => name.toLowerCase().startsWith('sluice__')) ?? set[0] ?? `SLUICE__${path.toUpperCase()}`
  );
}

function readDefaultGateway(env: Env, names: string[]): string | undefined {
  for (const variable of ['SLUICE__DEFAULT_GATEWAY', 'SQLMESH__DEFAULT_GATEWAY']) {
    const value = nonEmpty(env, variable);
    if (value === undefined) continue;
    const name = value.toLowerCase();
    if (!names.includes(name)) {
      throw new ConfigurationError(
        `${variable}=${value}: not a configured gateway (configured: ${names.join(', ')})`,
      );
    }
    return name;
  }
  return names[0];
}

/**
 * SLUICE_ENV_FILE: reads the file (start-up refuses a malformed one) and returns the environment
 * gateways are read from, the file's variables over the process's.
 */
function readEnvFileSettings(
  env: Env,
  values: Values<'SLUICE_ENV_FILE' | 'SLUICE_ENV_FILE_POLL'>,
  config: WorkerConfig,
): Env {
  const value = values.SLUICE_ENV_FILE;
  if (value === undefined) return env;
  const file = resolve(config.baseDir, value);
  let variables: Record<string, string>;
  try {
    variables = readEnvFile(file);
  } catch (error) {
    if (error instanceof EnvFileError) throw new ConfigurationError(`SLUICE_ENV_FILE: ${error.message}`);
    throw error;
  }
  config.envFile = file;
  config.envFilePollMs = values.SLUICE_ENV_FILE_POLL;
  config.gatewayEnv = Object.fromEntries(Object.entries(env).filter(([name]) => isGatewayVariable(name)));
  return mergeEnvFile(env, variables);
}

function nonEmpty(env: Env, variable: string): string | undefined {
  const value = env[variable]?.trim();
  return value === undefined || value === '' ? undefined : value;
}
