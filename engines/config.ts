/**
 * A gateway's connection settings (the `connection:` block of a SQLMesh gateway) as the typed
 * settings an engine is built from. The rules are the one connection schema's
 * (core/connection-schema.ts); this adds what only the executor knows, where a relative DuckDB
 * path resolves. Errors name the gateway and the key, never a password.
 */

import { isAbsolute, resolve } from 'node:path';
import {
  CONNECTION_TYPES,
  checkConnection,
  type DuckDBConnection,
  type PostgresConnection,
  type SslMode,
} from '../core/connection-schema.ts';
import { EngineConfigError } from './errors.ts';

export type { SslMode };

export interface PostgresSettings {
  type: 'postgres';
  gateway: string;
  host: string;
  port: number;
  database: string;
  user: string;
  password: string | undefined;
  /** becomes the session's search_path. */
  schema: string | undefined;
  sslmode: SslMode;
  connectTimeoutSeconds: number;
  /** connections the engine may hold at once (`concurrent_tasks`). */
  poolSize: number;
  keepalivesIdleSeconds: number | undefined;
  role: string | undefined;
  applicationName: string;
}

export interface DuckDBExtension {
  name: string;
  repository: string | undefined;
  forceInstall: boolean;
}

export interface DuckDBSettings {
  type: 'duckdb';
  gateway: string;
  /** an absolute file path, or `:memory:` (optionally `:memory:name`). */
  database: string;
  extensions: DuckDBExtension[];
  /** DuckDB configuration options applied when the database is opened. */
  connectorConfig: Record<string, string>;
}

export type EngineSettings = PostgresSettings | DuckDBSettings;

export interface ParseOptions {
  /** folder that relative DuckDB database paths resolve against (usually the project root). */
  baseDir: string;
}

export const ENGINE_TYPES = CONNECTION_TYPES;

export function parseGatewayConnection(
  gateway: string,
  connection: Readonly<Record<string, unknown>>,
  options: ParseOptions,
): EngineSettings {
  const checked = checkConnection(connection);
  if (!checked.ok) {
    const [first] = checked.issues;
    throw new EngineConfigError(gateway, first?.key, first?.problem ?? 'invalid connection settings');
  }
  const settings = checked.value;
  return settings.type === 'postgres'
    ? postgresSettings(gateway, settings)
    : duckdbSettings(gateway, settings, options);
}

function postgresSettings(gateway: string, connection: PostgresConnection): PostgresSettings {
  return {
    type: 'postgres',
    gateway,
    host: connection.host,
    port: connection.port,
    database: connection.database,
    user: connection.user,
    password: connection.password,
    schema: connection.schema,
    sslmode: connection.sslmode,
    connectTimeoutSeconds: connection.connect_timeout,
    poolSize: connection.concurrent_tasks,
    keepalivesIdleSeconds: connection.keepalives_idle,
    role: connection.role,
    applicationName: connection.application_name,
  };
}

function duckdbSettings(
  gateway: string,
  connection: DuckDBConnection,
  options: ParseOptions,
): DuckDBSettings {
  return {
    type: 'duckdb',
    gateway,
    database: duckdbPath(gateway, connection.database, options),
    extensions: connection.extensions.map((extension) => ({
      name: extension.name,
      repository: extension.repository,
      forceInstall: extension.force_install ?? false,
    })),
    connectorConfig: connection.connector_config,
  };
}

function duckdbPath(gateway: string, database: string, options: ParseOptions): string {
  if (database.startsWith(':memory:')) return database;
  if (!isAbsolute(options.baseDir)) {
    throw new EngineConfigError(
      gateway,
      'database',
      `cannot resolve ${JSON.stringify(database)}: base directory is not absolute`,
    );
  }
  return resolve(options.baseDir, database);
}
