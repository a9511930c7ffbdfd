/**
 * Validation of a gateway's connection settings (the `connection:` block of a SQLMesh gateway) into
 * the typed settings an engine is built from. Keys SQLMesh accepts but sluice has no use for are
 * ignored; keys whose meaning sluice cannot honour, and keys nobody knows, are rejected, so a typo
 * never silently changes where SQL runs. Errors name the gateway and the key, never a password.
 */

import { isAbsolute, resolve } from 'node:path';
import { EngineConfigError } from './errors.ts';

export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-full';

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

export const ENGINE_TYPES = ['duckdb', 'postgres'] as const;

const SSL_MODES: readonly SslMode[] = ['disable', 'allow', 'prefer', 'require', 'verify-full'];

/** Keys SQLMesh defines for every connection that change nothing in how sluice connects. */
const SQLMESH_NEUTRAL_KEYS = [
  'register_comments',
  'pre_ping',
  'pretty_sql',
  'schema_differ_overrides',
  'catalog_type_overrides',
];

const POSTGRES_KEYS = [
  'type',
  'host',
  'port',
  'database',
  'user',
  'password',
  'schema',
  'sslmode',
  'connect_timeout',
  'concurrent_tasks',
  'keepalives_idle',
  'role',
  'application_name',
];

const DUCKDB_KEYS = ['type', 'database', 'extensions', 'connector_config'];
/** DuckDB ignores `concurrent_tasks`: one process writes a DuckDB file, its parallelism is internal. */
const DUCKDB_IGNORED_KEYS = ['concurrent_tasks'];
/** SQLMesh DuckDB features that would change what a query sees; refused unless empty. */
const DUCKDB_UNSUPPORTED_KEYS = ['catalogs', 'secrets', 'filesystems', 'token'];

const SECRET_KEYS = new Set(['password', 'token']);

const NAME_PATTERN = /^[A-Za-z0-9_]+$/;

export function parseGatewayConnection(
  gateway: string,
  connection: Readonly<Record<string, unknown>>,
  options: ParseOptions,
): EngineSettings {
  if (connection === null || typeof connection !== 'object' || Array.isArray(connection)) {
    throw new EngineConfigError(gateway, undefined, 'connection settings must be a mapping');
  }
  const type = connection.type;
  if (type === undefined) {
    throw new EngineConfigError(gateway, 'type', `missing; expected one of ${ENGINE_TYPES.join(', ')}`);
  }
  if (type === 'postgres') return parsePostgres(new Reader(gateway, connection));
  if (type === 'duckdb') return parseDuckDB(new Reader(gateway, connection), options);
  throw new EngineConfigError(
    gateway,
    'type',
    `unsupported engine type ${JSON.stringify(type)}; expected one of ${ENGINE_TYPES.join(', ')}`,
  );
}

function parsePostgres(reader: Reader): PostgresSettings {
  reader.checkKeys(POSTGRES_KEYS, SQLMESH_NEUTRAL_KEYS, []);
  return {
    type: 'postgres',
    gateway: reader.gateway,
    host: reader.requiredString('host'),
    port: reader.integer('port', 5432, 1, 65_535),
    database: reader.requiredString('database'),
    user: reader.requiredString('user'),
    password: reader.optionalString('password', true),
    schema: reader.optionalString('schema', false),
    sslmode: reader.choice('sslmode', SSL_MODES, 'prefer'),
    connectTimeoutSeconds: reader.positiveNumber('connect_timeout', 10),
    poolSize: reader.integer('concurrent_tasks', 4, 1, 1000),
    keepalivesIdleSeconds: reader.optionalInteger('keepalives_idle', 0, 86_400),
    role: reader.optionalString('role', false),
    applicationName: reader.optionalString('application_name', false) ?? 'sluice',
  };
}

function parseDuckDB(reader: Reader, options: ParseOptions): DuckDBSettings {
  reader.checkKeys(DUCKDB_KEYS, [...SQLMESH_NEUTRAL_KEYS, ...DUCKDB_IGNORED_KEYS], DUCKDB_UNSUPPORTED_KEYS);
  return {
    type: 'duckdb',
    gateway: reader.gateway,
    database: duckdbPath(reader, options),
    extensions: duckdbExtensions(reader),
    connectorConfig: duckdbConnectorConfig(reader),
  };
}

function duckdbPath(reader: Reader, options: ParseOptions): string {
  const database = reader.optionalString('database', false);
  if (database === undefined || database.startsWith(':memory:')) return database ?? ':memory:';
  if (/^(md|motherduck):/i.test(database)) {
    throw reader.error('database', `MotherDuck databases are not supported (${JSON.stringify(database)})`);
  }
  if (!isAbsolute(options.baseDir)) {
    throw reader.error(
      'database',
      `cannot resolve ${JSON.stringify(database)}: base directory is not absolute`,
    );
  }
  return resolve(options.baseDir, database);
}

function duckdbExtensions(reader: Reader): DuckDBExtension[] {
  const value = reader.raw('extensions');
  if (value === undefined || value === null) return [];
  const items: unknown[] = typeof value === 'string' ? value.split(',').map((item) => item.trim()) : [];
  if (typeof value !== 'string') {
    if (!Array.isArray(value)) throw reader.error('extensions', 'must be a list of extension names');
    items.push(...value);
  }
  return items
    .filter((item) => item !== '')
    .map((item, index) => {
      const where = `extensions[${index}]`;
      if (typeof item === 'string')
        return { name: extensionName(reader, where, item), repository: undefined, forceInstall: false };
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        throw reader.error(where, `must be a name or a mapping with "name", got ${JSON.stringify(item)}`);
      }
      const entry = item as Record<string, unknown>;
      for (const key of Object.keys(entry)) {
        if (!['name', 'repository', 'force_install'].includes(key)) {
          throw reader.error(`${where}.${key}`, 'unknown key; expected name, repository, force_install');
        }
      }
      const repository = entry.repository;
      if (repository !== undefined && (typeof repository !== 'string' || repository.length === 0)) {
        throw reader.error(
          `${where}.repository`,
          `must be a non-empty string, got ${JSON.stringify(repository)}`,
        );
      }
      const force = entry.force_install;
      if (force !== undefined && typeof force !== 'boolean') {
        throw reader.error(`${where}.force_install`, `must be true or false, got ${JSON.stringify(force)}`);
      }
      return {
        name: extensionName(reader, `${where}.name`, entry.name),
        repository,
        forceInstall: force ?? false,
      };
    });
}

function extensionName(reader: Reader, where: string, name: unknown): string {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw reader.error(where, `must be an extension name (letters, digits, _), got ${JSON.stringify(name)}`);
  }
  return name;
}

function duckdbConnectorConfig(reader: Reader): Record<string, string> {
  const value = reader.raw('connector_config');
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw reader.error('connector_config', 'must be a mapping of DuckDB settings');
  }
  const result: Record<string, string> = {};
  for (const [key, setting] of Object.entries(value as Record<string, unknown>)) {
    if (!NAME_PATTERN.test(key)) throw reader.error(`connector_config.${key}`, 'not a DuckDB setting name');
    if (typeof setting !== 'string' && typeof setting !== 'number' && typeof setting !== 'boolean') {
      throw reader.error(
        `connector_config.${key}`,
        `must be a string, number or boolean, got ${JSON.stringify(setting)}`,
      );
    }
    result[key] = String(setting);
  }
  return result;
}

/** Typed access to one gateway's raw settings, with errors that name the gateway and key. */
class Reader {
  constructor(
    readonly gateway: string,
    private readonly values: Readonly<Record<string, unknown>>,
  ) {}

  error(key: string, problem: string): EngineConfigError {
    return new EngineConfigError(this.gateway, key, problem);
  }

  raw(key: string): unknown {
    return Object.hasOwn(this.values, key) ? this.values[key] : undefined;
  }

  checkKeys(used: readonly string[], ignored: readonly string[], unsupported: readonly string[]): void {
    for (const key of Object.keys(this.values)) {
      if (used.includes(key) || ignored.includes(key)) continue;
      if (unsupported.includes(key)) {
        if (isEmpty(this.values[key])) continue;
        throw this.error(key, `is not supported by sluice for ${String(this.values.type)} gateways`);
      }
      throw this.error(
        key,
        `unknown setting; expected one of ${used.filter((name) => name !== 'type').join(', ')}`,
      );
    }
  }

  requiredString(key: string): string {
    const value = this.optionalString(key, false);
    if (value === undefined) throw this.error(key, 'missing');
    if (value.length === 0) throw this.error(key, 'must not be empty');
    return value;
  }

  optionalString(key: string, secret: boolean): string | undefined {
    const value = this.raw(key);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') {
      throw this.error(key, secret ? 'must be a string' : `must be a string, got ${this.show(key, value)}`);
    }
    return value;
  }

  integer(key: string, fallback: number, min: number, max: number): number {
    return this.optionalInteger(key, min, max) ?? fallback;
  }

  optionalInteger(key: string, min: number, max: number): number | undefined {
    const value = this.raw(key);
    if (value === undefined || value === null) return undefined;
    const number = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isInteger(number)) {
      throw this.error(key, `must be an integer, got ${this.show(key, value)}`);
    }
    if (number < min || number > max)
      throw this.error(key, `must be between ${min} and ${max}, got ${number}`);
    return number;
  }

  positiveNumber(key: string, fallback: number): number {
    const value = this.raw(key);
    if (value === undefined || value === null) return fallback;
    const number = typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isFinite(number) || number <= 0) {
      throw this.error(key, `must be a positive number of seconds, got ${this.show(key, value)}`);
    }
    return number;
  }

  choice<T extends string>(key: string, choices: readonly T[], fallback: T): T {
    const value = this.raw(key);
    if (value === undefined || value === null) return fallback;
    if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
    throw this.error(key, `must be one of ${choices.join(', ')}, got ${this.show(key, value)}`);
  }

  private show(key: string, value: unknown): string {
    return SECRET_KEYS.has(key) ? 'a value that is not shown' : JSON.stringify(value);
  }
}

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}
