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
 * | `SLUICE_PAYLOAD_KEY` | encrypts every Temporal payload (crypto/payload-codec.ts): a 32-byte key, base64 or hex, optionally `<id>:`; the same in every process | off |
 * | `SLUICE_PAYLOAD_KEY_PREVIOUS` | older payload keys, comma-separated, to read histories written before a rotation | |
 * | `SLUICE_DATABASE_URL` | scheduler only: the state database | PGlite under `$SLUICE_HOME/.sluice/state` |
 * | `SLUICE__GATEWAYS__<NAME>__CONNECTION__<KEY>` | executors only: warehouse connections (`SQLMESH__...` too) | |
 * | `SLUICE__DEFAULT_GATEWAY` | executors only: the gateway named when a project names none | the first |
 * | `SLUICE_SHUTDOWN_GRACE` | how long a stopping worker lets in-flight work finish | `30s` |
 * | `SLUICE_EXECUTOR_IDENTITY` | how the worker names itself to Temporal and in reports | `<role>@<host>:<pid>` |
 * | `SLUICE_HEALTH_PORT` | serve `/healthz` and `/readyz` on this port (workers/health-server.ts) | no health port |
 * | `SLUICE_HEALTH_HOST` | the address the health port listens on | `0.0.0.0` |
 * | `SLUICE_READY_TIMEOUT` | how long each readiness check (Temporal, each gateway, the state database) may take | `5s` |
 * | `SLUICE_ENV_FILE` | executors only: a mounted `.env` file of gateway variables, merged over the environment and re-read when it changes (workers/env-file.ts) | |
 * | `SLUICE_ENV_FILE_POLL` | executors only: how often the env file is checked for changes | `2s` |
 * | `SLUICE_MAX_MEMORY_MB` | executors only: a batch that takes the process past this RSS is stopped with MEMORY_LIMIT; also DuckDB's `memory_limit` | no limit |
 * | `SLUICE_ENCRYPTION_KEY` | executors only: opens the scheduler-managed connections that come with the work (`sluice connections add`); the API's key. With it an executor may start without gateways of its own | |
 * | `SLUICE_ENCRYPTION_KEY_PREVIOUS` | executors only: older connection keys, comma-separated, kept until `sluice connections rotate-key` has re-sealed every connection | |
 *
 * Errors name the variable and its value, except for values that may be secret (API key,
 * database URL, gateway passwords), which are never shown.
 */

import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { PayloadCodec } from '@temporalio/common';
import { type Env, gatewaysFromEnv } from '../core/project/env-overrides.ts';
import { formatIssue, type GatewayConnection, ProjectError } from '../core/project/types.ts';
import { type Keyring, KeyringError, readKeyring } from '../crypto/keyring.ts';
import { payloadCodecFromEnv } from '../crypto/payload-codec.ts';
import { parseGatewayConnection } from '../engines/config.ts';
import { EngineConfigError } from '../engines/errors.ts';
import {
  DEFAULT_ENV_FILE_POLL_MS,
  EnvFileError,
  isGatewayVariable,
  mergeEnvFile,
  readEnvFile,
} from './env-file.ts';

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
  /** set when SLUICE_PAYLOAD_KEY is: every client and worker encrypts payloads with it. */
  payloadCodec?: PayloadCodec;
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
}

export class WorkerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WorkerConfigError';
  }
}

export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';
export const DEFAULT_SHUTDOWN_GRACE_MS = 30_000;
export const DEFAULT_HEALTH_HOST = '0.0.0.0';
export const DEFAULT_READY_TIMEOUT_MS = 5_000;

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
  readHealthSettings(env, config);
  if (role === 'scheduler') {
    const url = readDatabaseUrl(env);
    if (url !== undefined) config.databaseUrl = url;
    return config;
  }
  const gatewayEnv = readEnvFileSettings(env, config);
  const encryption = readEncryptionKeyring(env);
  if (encryption !== undefined) config.encryption = encryption;
  config.gateways = readGateways(gatewayEnv, config.baseDir, { allowNone: encryption !== undefined });
  const names = Object.keys(config.gateways).sort();
  const defaultGateway = readDefaultGateway(gatewayEnv, names);
  if (defaultGateway !== undefined) config.defaultGateway = defaultGateway;
  const maxMemoryMb = readMegabytes(env, 'SLUICE_MAX_MEMORY_MB');
  if (maxMemoryMb !== undefined) config.maxMemoryMb = maxMemoryMb;
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
  try {
    const payloadCodec = payloadCodecFromEnv(env);
    if (payloadCodec !== undefined) config.payloadCodec = payloadCodec;
  } catch (error) {
    if (error instanceof KeyringError) throw new WorkerConfigError(error.message);
    throw error;
  }
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
      throw new WorkerConfigError(
        `invalid gateway configuration:\n${error.issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`,
      );
    }
    throw error;
  }
  if (Object.keys(gateways).length === 0 && options.allowNone !== true) {
    throw new WorkerConfigError(
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
      throw new WorkerConfigError(variable === undefined ? error.message : `${variable}: ${error.message}`);
    }
  }
  return gateways;
}

/** SLUICE_ENCRYPTION_KEY and SLUICE_ENCRYPTION_KEY_PREVIOUS; errors name the variable, never a key. */
function readEncryptionKeyring(env: Env): Keyring | undefined {
  try {
    return readKeyring(env, 'SLUICE_ENCRYPTION_KEY');
  } catch (error) {
    if (error instanceof KeyringError) throw new WorkerConfigError(error.message);
    throw error;
  }
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

/** SLUICE_HEALTH_PORT, SLUICE_HEALTH_HOST and SLUICE_READY_TIMEOUT; kept only with a port. */
function readHealthSettings(env: Env, config: WorkerConfig): void {
  const host = readHost(env, 'SLUICE_HEALTH_HOST') ?? DEFAULT_HEALTH_HOST;
  const readyTimeoutMs = readPositiveDuration(env, 'SLUICE_READY_TIMEOUT', DEFAULT_READY_TIMEOUT_MS);
  const value = nonEmpty(env, 'SLUICE_HEALTH_PORT');
  if (value === undefined) return;
  const port = /^\d{1,5}$/.test(value) ? Number(value) : Number.NaN;
  if (!(port >= 1 && port <= 65_535)) {
    throw new WorkerConfigError(
      `SLUICE_HEALTH_PORT=${value}: expected a port from 1 to 65535 (leave it unset to serve no health checks)`,
    );
  }
  config.healthPort = port;
  config.healthHost = host;
  config.readyTimeoutMs = readyTimeoutMs;
}

function readHost(env: Env, variable: string): string | undefined {
  const value = nonEmpty(env, variable);
  if (value === undefined) return undefined;
  const host = /^\[(.*)\]$/.exec(value)?.[1] ?? value;
  if (!/^[A-Za-z0-9._:-]+$/.test(host) || host.length > 253) {
    throw new WorkerConfigError(
      `${variable}=${value}: expected a host name or IP address to listen on, e.g. 0.0.0.0 or 127.0.0.1`,
    );
  }
  return host;
}

function readPositiveDuration(env: Env, variable: string, fallback: number): number {
  const ms = readDuration(env, variable, fallback);
  if (ms <= 0) throw new WorkerConfigError(`${variable}=${env[variable]?.trim()}: must be longer than 0`);
  return ms;
}

/**
 * SLUICE_ENV_FILE: reads the file (start-up refuses a malformed one) and returns the environment
 * gateways are read from, the file's variables over the process's.
 */
function readEnvFileSettings(env: Env, config: WorkerConfig): Env {
  const pollMs = readPositiveDuration(env, 'SLUICE_ENV_FILE_POLL', DEFAULT_ENV_FILE_POLL_MS);
  const value = nonEmpty(env, 'SLUICE_ENV_FILE');
  if (value === undefined) return env;
  const file = resolve(config.baseDir, value);
  let variables: Record<string, string>;
  try {
    variables = readEnvFile(file);
  } catch (error) {
    if (error instanceof EnvFileError) throw new WorkerConfigError(`SLUICE_ENV_FILE: ${error.message}`);
    throw error;
  }
  config.envFile = file;
  config.envFilePollMs = pollMs;
  config.gatewayEnv = Object.fromEntries(Object.entries(env).filter(([name]) => isGatewayVariable(name)));
  return mergeEnvFile(env, variables);
}

/** A positive whole number of megabytes. */
function readMegabytes(env: Env, variable: string): number | undefined {
  const value = nonEmpty(env, variable);
  if (value === undefined) return undefined;
  const mb = /^\d{1,9}$/.test(value) ? Number(value) : Number.NaN;
  if (!(mb >= 1)) {
    throw new WorkerConfigError(
      `${variable}=${value}: expected a positive whole number of megabytes, e.g. 2048`,
    );
  }
  return mb;
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
