/**
 * A worker process's configuration, from environment variables only (twelve-factor: the same image
 * runs as scheduler, run executor or apply executor):
 *
 * | variable | meaning | default |
 * | --- | --- | --- |
 * | `TEMPORAL_ADDRESS` | the Temporal frontend, `host:port` | `127.0.0.1:7233` |
 * | `TEMPORAL_NAMESPACE` | the Temporal namespace | `default` |
 * | `TEMPORAL_TLS_CERT`, `TEMPORAL_TLS_KEY` | client certificate and key files (mTLS) | |
 * | `TEMPORAL_TLS_CA` | the server's root CA file | the system's roots |
 * | `TEMPORAL_TLS_SERVER_NAME` | the TLS server name, when it is not the address's host | |
 * | `TEMPORAL_API_KEY` | API key (Temporal Cloud); implies TLS | |
 * | `SLUICE_DATABASE_URL` | scheduler only: the state database | PGlite under `$SLUICE_HOME/.sluice/state` |
 * | `SLUICE__GATEWAYS__<NAME>__CONNECTION__<KEY>` | executors only: warehouse connections (`SQLMESH__...` too) | |
 * | `SLUICE__DEFAULT_GATEWAY` | executors only: the gateway named when a project names none | the first |
 * | `SLUICE_SHUTDOWN_GRACE` | how long a stopping worker lets in-flight work finish | `30s` |
 * | `SLUICE_EXECUTOR_IDENTITY` | how the worker names itself to Temporal and in reports | `<role>@<host>:<pid>` |
 *
 * Errors name the variable and its value, except for values that may be secret (API key,
 * database URL, gateway passwords), which are never shown.
 */

import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { parseGatewayConnection } from '../activities/engines/config.ts';
import { EngineConfigError } from '../activities/engines/errors.ts';
import { type Env, gatewaysFromEnv } from '../core/project/env-overrides.ts';
import { formatIssue, type GatewayConnection, ProjectError } from '../core/project/types.ts';

export type WorkerRole = 'scheduler' | 'run' | 'apply';

export const WORKER_ROLES: readonly WorkerRole[] = ['scheduler', 'run', 'apply'];

export interface TemporalTls {
  /** the client certificate and key (mTLS). */
  clientCertPair?: { crt: Buffer; key: Buffer };
  serverRootCACertificate?: Buffer;
  serverNameOverride?: string;
}

export interface TemporalConfig {
  address: string;
  namespace: string;
  /** undefined for a plain connection. */
  tls?: TemporalTls;
  apiKey?: string;
}

export interface WorkerConfig {
  role: WorkerRole;
  temporal: TemporalConfig;
  identity: string;
  shutdownGraceMs: number;
  /** scheduler only; undefined for the embedded PGlite database. */
  databaseUrl?: string;
  /** executors only: the warehouse connections, by gateway name. */
  gateways: Record<string, { connection: GatewayConnection }>;
  /** executors only. */
  defaultGateway?: string;
  /** the folder relative DuckDB database paths resolve against (the working directory). */
  baseDir: string;
}

export class WorkerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerConfigError';
  }
}

export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';
export const DEFAULT_SHUTDOWN_GRACE_MS = 30_000;

export interface ReadConfigOptions {
  hostname?: string;
  pid?: number;
  cwd?: string;
}

export function readWorkerConfig(role: WorkerRole, env: Env, options: ReadConfigOptions = {}): WorkerConfig {
  if (!WORKER_ROLES.includes(role)) {
    throw new WorkerConfigError(
      `unknown worker role ${JSON.stringify(role)}; expected one of ${WORKER_ROLES.join(', ')}`,
    );
  }
  const config: WorkerConfig = {
    role,
    temporal: readTemporalConfig(env),
    identity: readIdentity(role, env, options),
    shutdownGraceMs: readDuration(env, 'SLUICE_SHUTDOWN_GRACE', DEFAULT_SHUTDOWN_GRACE_MS),
    gateways: {},
    baseDir: resolve(options.cwd ?? process.cwd()),
  };
  if (role === 'scheduler') {
    const url = readDatabaseUrl(env);
    if (url !== undefined) config.databaseUrl = url;
    return config;
  }
  config.gateways = readGateways(env, config.baseDir);
  const names = Object.keys(config.gateways).sort();
  const defaultGateway = readDefaultGateway(env, names);
  if (defaultGateway !== undefined) config.defaultGateway = defaultGateway;
  return config;
}

/** The Temporal connection settings, for every kind of process (workers, API, CLI, `sluice dev`). */
export function readTemporalConfig(env: Env): TemporalConfig {
  const address = nonEmpty(env, 'TEMPORAL_ADDRESS') ?? DEFAULT_TEMPORAL_ADDRESS;
  checkAddress(address);
  const namespace = nonEmpty(env, 'TEMPORAL_NAMESPACE') ?? 'default';
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(namespace)) {
    throw new WorkerConfigError(
      `TEMPORAL_NAMESPACE=${namespace}: a namespace is letters, digits, '.', '_' and '-', starting with a letter or digit`,
    );
  }
  const config: TemporalConfig = { address, namespace };
  const cert = nonEmpty(env, 'TEMPORAL_TLS_CERT');
  const key = nonEmpty(env, 'TEMPORAL_TLS_KEY');
  const ca = nonEmpty(env, 'TEMPORAL_TLS_CA');
  const serverName = nonEmpty(env, 'TEMPORAL_TLS_SERVER_NAME');
  const apiKey = nonEmpty(env, 'TEMPORAL_API_KEY');
  if ((cert === undefined) !== (key === undefined)) {
    const [set, missing] =
      cert === undefined
        ? ['TEMPORAL_TLS_KEY', 'TEMPORAL_TLS_CERT']
        : ['TEMPORAL_TLS_CERT', 'TEMPORAL_TLS_KEY'];
    throw new WorkerConfigError(
      `${set} is set but ${missing} is not: mTLS needs both the certificate and its key`,
    );
  }
  if (apiKey !== undefined && cert !== undefined) {
    throw new WorkerConfigError(
      'TEMPORAL_API_KEY and TEMPORAL_TLS_CERT are both set: authenticate with either an API key or a client certificate',
    );
  }
  if (
    cert !== undefined ||
    key !== undefined ||
    ca !== undefined ||
    serverName !== undefined ||
    apiKey !== undefined
  ) {
    const tls: TemporalTls = {};
    if (cert !== undefined && key !== undefined) {
      tls.clientCertPair = { crt: readPem('TEMPORAL_TLS_CERT', cert), key: readPem('TEMPORAL_TLS_KEY', key) };
    }
    if (ca !== undefined) tls.serverRootCACertificate = readPem('TEMPORAL_TLS_CA', ca);
    if (serverName !== undefined) tls.serverNameOverride = serverName;
    config.tls = tls;
  }
  if (apiKey !== undefined) config.apiKey = apiKey;
  return config;
}

/** A duration variable: `30s`, `2m`, `1h`, `500ms`, or a plain number of seconds. */
export function readDuration(env: Env, variable: string, fallback: number): number {
  const value = nonEmpty(env, variable);
  if (value === undefined) return fallback;
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(value);
  if (!match) {
    throw new WorkerConfigError(`${variable}=${value}: expected a duration such as 30s, 2m, 1h or 500ms`);
  }
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(match[1]) * unit);
}

function readIdentity(role: WorkerRole, env: Env, options: ReadConfigOptions): string {
  const explicit = env.SLUICE_EXECUTOR_IDENTITY;
  if (explicit !== undefined) {
    const identity = explicit.trim();
    if (identity.length === 0 || identity.length > 200 || /[\x00-\x1f]/.test(identity)) {
      throw new WorkerConfigError(
        `SLUICE_EXECUTOR_IDENTITY=${JSON.stringify(explicit)}: expected 1 to 200 printable characters`,
      );
    }
    return identity;
  }
  return `${role}@${options.hostname ?? hostname()}:${options.pid ?? process.pid}`;
}

function readDatabaseUrl(env: Env): string | undefined {
  const url = nonEmpty(env, 'SLUICE_DATABASE_URL');
  if (url === undefined) return undefined;
  if (!/^(postgres(ql)?:\/\/.+|memory:\/\/)$/i.test(url)) {
    // the value may hold a password: only its scheme is shown
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
    throw new WorkerConfigError(
      `SLUICE_DATABASE_URL must be a postgres://, postgresql:// or memory:// URL (got ${scheme ? `a ${scheme}: URL` : 'a value that is not a URL'})`,
    );
  }
  return url;
}

function readGateways(env: Env, baseDir: string): Record<string, { connection: GatewayConnection }> {
  let gateways: Record<string, { connection: GatewayConnection }>;
  try {
    gateways = gatewaysFromEnv(env);
  } catch (error) {
    if (error instanceof ProjectError) {
      throw new WorkerConfigError(
        `invalid gateway configuration:\n${error.issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`,
      );
    }
    throw error;
  }
  if (Object.keys(gateways).length === 0) {
    throw new WorkerConfigError(
      'no gateways configured: an executor needs at least one warehouse connection, e.g. ' +
        'SLUICE__GATEWAYS__WAREHOUSE__CONNECTION__TYPE=postgres with its HOST, DATABASE, USER and PASSWORD',
    );
  }
  for (const [name, { connection }] of Object.entries(gateways)) {
    try {
      parseGatewayConnection(name, connection, { baseDir });
    } catch (error) {
      if (!(error instanceof EngineConfigError)) throw error;
      const variable = error.key === undefined ? undefined : connectionVariable(env, name, error.key);
      throw new WorkerConfigError(variable === undefined ? error.message : `${variable}: ${error.message}`);
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
      throw new WorkerConfigError(
        `${variable}=${value}: not a configured gateway (configured: ${names.join(', ')})`,
      );
    }
    return name;
  }
  return names[0];
}

function checkAddress(address: string): void {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d+)$/.exec(address);
  const port = match ? Number(match[2]) : 0;
  if (!match || port < 1 || port > 65_535) {
    throw new WorkerConfigError(`TEMPORAL_ADDRESS=${address}: expected host:port, e.g. 127.0.0.1:7233`);
  }
}

function readPem(variable: string, path: string): Buffer {
  if (path.includes('-----BEGIN')) {
    throw new WorkerConfigError(`${variable} must be the path of a PEM file, not the PEM text itself`);
  }
  try {
    return readFileSync(path);
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new WorkerConfigError(`${variable}=${path}: cannot read the file (${reason})`);
  }
}

function nonEmpty(env: Env, variable: string): string | undefined {
  const value = env[variable]?.trim();
  return value === undefined || value === '' ? undefined : value;
}
