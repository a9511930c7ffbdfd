/**
 * The rules of a gateway's `connection:` mapping, one zod schema per connection type keyed on
 * `type`: which settings each type has, their types, defaults and ranges, which are required, and
 * that a key nobody defines is refused (a typo must never silently change where SQL runs). The
 * project loader (config.yaml and SLUICE__ variables), the API (managed connections) and the
 * executors (their environment and env file) all check connections here and only frame the
 * problems differently: a file and line, a field, a variable.
 *
 * Values are read the way SQLMesh's pydantic models read them, so an environment variable (always
 * text) means the same as the YAML value it replaces: integers and booleans may be written as text,
 * and a YAML number where text is expected (`password: 123456`) is that text. A problem never
 * shows the value of a secret setting.
 *
 * Two forms: `complete` (what an engine is built from: required settings present, defaults filled
 * in) and `partial` (a project's config.yaml, whose remaining settings may come from the executor's
 * environment: every setting optional, no defaults, values kept as written once checked).
 */

import { z } from 'zod';

export const CONNECTION_TYPES = ['duckdb', 'postgres'] as const;
export type ConnectionType = (typeof CONNECTION_TYPES)[number];

export const SSL_MODES = ['disable', 'allow', 'prefer', 'require', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

export interface DuckDBExtensionSetting {
  name: string;
  repository?: string;
  force_install?: boolean;
}

export interface PostgresConnection {
  type: 'postgres';
  host: string;
  port: number;
  database: string;
  user: string;
  password: string | undefined;
  schema: string | undefined;
  sslmode: SslMode;
  connect_timeout: number;
  concurrent_tasks: number;
  keepalives_idle: number | undefined;
  role: string | undefined;
  application_name: string;
}

export interface DuckDBConnection {
  type: 'duckdb';
  /** a path as written (relative ones resolve where the engine runs), or `:memory:`. */
  database: string;
  extensions: DuckDBExtensionSetting[];
  connector_config: Record<string, string>;
}

export type Connection = PostgresConnection | DuckDBConnection;

/** One thing wrong with a connection: `path` inside the mapping, `key` the same as text. */
export interface ConnectionIssue {
  path: (string | number)[];
  /** `port`, `extensions[0].name`, `connector_config.threads`; undefined for the mapping itself. */
  key: string | undefined;
  problem: string;
}

export type ConnectionCheck<T> = { ok: true; value: T } | { ok: false; issues: ConnectionIssue[] };

type Form = 'complete' | 'partial';

const SECRET_KEYS = new Set(['password', 'token']);
const TRUE_TEXT = new Set(['1', 'on', 't', 'true', 'y', 'yes']);
const FALSE_TEXT = new Set(['0', 'off', 'f', 'false', 'n', 'no']);
const NAME_PATTERN = /^[A-Za-z0-9_]+$/;

/** A problem with one setting, at `path` below it (an extension's name, a connector_config key). */
class SettingProblem extends Error {
  constructor(
    readonly problem: string,
    readonly path: (string | number)[] = [],
  ) {
    super(problem);
  }
}

type Rule<T> = (value: unknown, key: string) => T;

function show(key: string, value: unknown): string {
  return SECRET_KEYS.has(key) ? 'a value that is not shown' : JSON.stringify(value);
}

const text: Rule<string> = (value, key) => {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new SettingProblem(
    SECRET_KEYS.has(key) ? 'must be a string' : `must be a string, got ${show(key, value)}`,
  );
};

const nonEmptyText: Rule<string> = (value, key) => {
  const result = text(value, key);
  if (result.length === 0) throw new SettingProblem('must not be empty');
  return result;
};

function integer(min: number, max: number): Rule<number> {
  return (value, key) => {
    const number = typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isInteger(number)) {
      throw new SettingProblem(`must be an integer, got ${show(key, value)}`);
    }
    if (number < min || number > max)
      throw new SettingProblem(`must be between ${min} and ${max}, got ${number}`);
    return number;
  };
}

const positiveSeconds: Rule<number> = (value, key) => {
  const number = typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isFinite(number) || number <= 0) {
    throw new SettingProblem(`must be a positive number of seconds, got ${show(key, value)}`);
  }
  return number;
};

const boolean: Rule<boolean> = (value, key) => {
  if (typeof value === 'boolean') return value;
  const word =
    typeof value === 'string' || typeof value === 'number' ? String(value).trim().toLowerCase() : '';
  if (TRUE_TEXT.has(word)) return true;
  if (FALSE_TEXT.has(word)) return false;
  throw new SettingProblem(`must be true or false, got ${show(key, value)}`);
};

function choice<T extends string>(choices: readonly T[]): Rule<T> {
  return (value, key) => {
    if (typeof value === 'string' && (choices as readonly string[]).includes(value)) return value as T;
    throw new SettingProblem(`must be one of ${choices.join(', ')}, got ${show(key, value)}`);
  };
}

const anything: Rule<unknown> = (value) => value;

const duckdbDatabase: Rule<string> = (value, key) => {
  const database = text(value, key);
  if (/^(md|motherduck):/i.test(database)) {
    throw new SettingProblem(`MotherDuck databases are not supported (${JSON.stringify(database)})`);
  }
  return database;
};

/** SQLMesh's forms: `'json, parquet'`, or a list of names and `{ name, repository, force_install }`. */
const extensions: Rule<DuckDBExtensionSetting[]> = (value) => {
  if (typeof value !== 'string' && !Array.isArray(value)) {
    throw new SettingProblem('must be a list of extension names');
  }
  const items: unknown[] = typeof value === 'string' ? value.split(',').map((item) => item.trim()) : value;
  return items
    .filter((item) => item !== '')
    .map((item, index) => {
      if (typeof item === 'string') return { name: extensionName(item, [index]) };
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        throw new SettingProblem(`must be a name or a mapping with "name", got ${JSON.stringify(item)}`, [
          index,
        ]);
      }
      const entry = item as Record<string, unknown>;
      for (const key of Object.keys(entry)) {
        if (!['name', 'repository', 'force_install'].includes(key)) {
          throw new SettingProblem('unknown key; expected name, repository, force_install', [index, key]);
        }
      }
      const { repository, force_install: force } = entry;
      if (repository !== undefined && (typeof repository !== 'string' || repository.length === 0)) {
        throw new SettingProblem(`must be a non-empty string, got ${JSON.stringify(repository)}`, [
          index,
          'repository',
        ]);
      }
      if (force !== undefined && typeof force !== 'boolean') {
        throw new SettingProblem(`must be true or false, got ${JSON.stringify(force)}`, [
          index,
          'force_install',
        ]);
      }
      return {
        name: extensionName(entry.name, [index, 'name']),
        ...(repository === undefined ? {} : { repository }),
        ...(force === undefined ? {} : { force_install: force }),
      };
    });
};

function extensionName(name: unknown, path: (string | number)[]): string {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) {
    throw new SettingProblem(
      `must be an extension name (letters, digits, _), got ${JSON.stringify(name)}`,
      path,
    );
  }
  return name;
}

/** DuckDB options applied when the database opens, each kept as text. */
const connectorConfig: Rule<Record<string, string>> = (value) => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new SettingProblem('must be a mapping of DuckDB settings');
  }
  const result: Record<string, string> = {};
  for (const [key, setting] of Object.entries(value as Record<string, unknown>)) {
    if (!NAME_PATTERN.test(key)) throw new SettingProblem('not a DuckDB setting name', [key]);
    if (typeof setting !== 'string' && typeof setting !== 'number' && typeof setting !== 'boolean') {
      throw new SettingProblem(`must be a string, number or boolean, got ${JSON.stringify(setting)}`, [key]);
    }
    result[key] = String(setting);
  }
  return result;
};

/** A SQLMesh feature sluice cannot honour: accepted only while empty (SQLMesh's defaults). */
function unsupported(type: ConnectionType): Rule<undefined> {
  return (value) => {
    if (isEmpty(value)) return undefined;
    throw new SettingProblem(`is not supported by sluice for ${type} gateways`);
  };
}

interface SettingOptions<T> {
  required?: boolean;
  fallback?: T;
}

/**
 * One setting's schema: absent (or null) is missing, its default or, in the partial form, absent.
 * `prefault(null)` makes an absent key reach the rule, so the rule decides.
 */
function setting<T>(form: Form, key: string, rule: Rule<T>, options: SettingOptions<T> = {}) {
  return z
    .unknown()
    .transform((value, ctx): T | undefined => {
      if (value === undefined || value === null) {
        if (form === 'partial') return undefined;
        if (options.required) {
          ctx.addIssue({ code: 'custom', message: 'missing' });
          return z.NEVER;
        }
        return options.fallback;
      }
      try {
        return rule(value, key);
      } catch (error) {
        if (!(error instanceof SettingProblem)) throw error;
        ctx.addIssue({ code: 'custom', message: error.problem, path: error.path });
        return z.NEVER;
      }
    })
    .prefault(null);
}

/** Settings SQLMesh defines for every connection that change nothing in how sluice connects. */
function neutralSettings(form: Form) {
  return {
    register_comments: setting(form, 'register_comments', boolean),
    pre_ping: setting(form, 'pre_ping', boolean),
    pretty_sql: setting(form, 'pretty_sql', boolean),
    schema_differ_overrides: setting(form, 'schema_differ_overrides', anything),
    catalog_type_overrides: setting(form, 'catalog_type_overrides', anything),
  };
}

/** The settings sluice uses, in the order an unknown key's problem lists them. */
const POSTGRES_SETTINGS = [
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
] as const;
const DUCKDB_SETTINGS = ['database', 'extensions', 'connector_config'] as const;

function postgresSchema(form: Form) {
  return z.strictObject({
    type: z.literal('postgres'),
    host: setting(form, 'host', nonEmptyText, { required: true }),
    port: setting(form, 'port', integer(1, 65_535), { fallback: 5432 }),
    database: setting(form, 'database', nonEmptyText, { required: true }),
    user: setting(form, 'user', nonEmptyText, { required: true }),
    password: setting(form, 'password', text),
    /** becomes the session's search_path. */
    schema: setting(form, 'schema', text),
    sslmode: setting(form, 'sslmode', choice(SSL_MODES), { fallback: 'prefer' }),
    connect_timeout: setting(form, 'connect_timeout', positiveSeconds, { fallback: 10 }),
    /** connections the engine may hold at once. */
    concurrent_tasks: setting(form, 'concurrent_tasks', integer(1, 1000), { fallback: 4 }),
    keepalives_idle: setting(form, 'keepalives_idle', integer(0, 86_400)),
    role: setting(form, 'role', text),
    application_name: setting(form, 'application_name', text, { fallback: 'sluice' }),
    ...neutralSettings(form),
  });
}

function duckdbSchema(form: Form) {
  return z.strictObject({
    type: z.literal('duckdb'),
    database: setting(form, 'database', duckdbDatabase, { fallback: ':memory:' }),
    extensions: setting(form, 'extensions', extensions, { fallback: [] }),
    connector_config: setting(form, 'connector_config', connectorConfig, { fallback: {} }),
    /** one process writes a DuckDB file and its parallelism is internal: checked, then ignored. */
    concurrent_tasks: setting(form, 'concurrent_tasks', integer(1, 1000)),
    catalogs: setting(form, 'catalogs', unsupported('duckdb')),
    secrets: setting(form, 'secrets', unsupported('duckdb')),
    filesystems: setting(form, 'filesystems', unsupported('duckdb')),
    token: setting(form, 'token', unsupported('duckdb')),
    ...neutralSettings(form),
  });
}

/** A connection an engine can be built from: required settings present, defaults filled in. */
export const ConnectionSchema = z.discriminatedUnion('type', [
  postgresSchema('complete'),
  duckdbSchema('complete'),
]);

/** A project's connection: every setting optional (the executor's environment may add it), no defaults. */
export const PartialConnectionSchema = z.discriminatedUnion('type', [
  postgresSchema('partial'),
  duckdbSchema('partial'),
]);

const SETTINGS_BY_TYPE: Record<ConnectionType, readonly string[]> = {
  postgres: POSTGRES_SETTINGS,
  duckdb: DUCKDB_SETTINGS,
};

/** Checks a complete connection (an executor's, a managed one) and returns its settings with defaults. */
export function checkConnection(value: unknown): ConnectionCheck<Connection> {
  return check(ConnectionSchema, value) as ConnectionCheck<Connection>;
}

/**
 * Checks a project's connection, whose settings an executor's environment may complete. Returns
 * the settings that are set, converted as they will be read (`port: '5432'` becomes 5432).
 */
export function checkPartialConnection(value: unknown): ConnectionCheck<Record<string, unknown>> {
  const checked = check(PartialConnectionSchema, value);
  if (!checked.ok) return checked;
  const set = Object.entries(checked.value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  return { ok: true, value: Object.fromEntries(set) };
}

function check(schema: z.ZodType, value: unknown): ConnectionCheck<unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return {
      ok: false,
      issues: [{ path: [], key: undefined, problem: 'connection settings must be a mapping' }],
    };
  }
  const mapping = value as Record<string, unknown>;
  const parsed = schema.safeParse(mapping);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = parsed.error.issues.flatMap((issue) => describe(issue, mapping));
  const order = Object.keys(mapping);
  issues.sort((a, b) => order.indexOf(String(a.path[0])) - order.indexOf(String(b.path[0])));
  return { ok: false, issues };
}

function describe(issue: z.core.$ZodIssue, mapping: Record<string, unknown>): ConnectionIssue[] {
  const expected = `expected one of ${CONNECTION_TYPES.join(', ')}`;
  if (issue.code === 'invalid_union' && issue.path.length === 1 && issue.path[0] === 'type') {
    const type = mapping.type;
    const problem =
      type === undefined || type === null
        ? `missing; ${expected}`
        : `unsupported engine type ${JSON.stringify(type)}; ${expected}`;
    return [{ path: ['type'], key: 'type', problem }];
  }
  if (issue.code === 'unrecognized_keys') {
    const known = SETTINGS_BY_TYPE[mapping.type as ConnectionType] ?? [];
    return issue.keys.map((key) => ({
      path: [key],
      key,
      problem: `unknown setting; expected one of ${known.join(', ')}`,
    }));
  }
  const path = issue.path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment));
  return [{ path, key: keyOf(path), problem: issue.message }];
}

/** `extensions[0].name` for `['extensions', 0, 'name']`. */
function keyOf(path: (string | number)[]): string | undefined {
  if (path.length === 0) return undefined;
  return path
    .map((segment, index) =>
      typeof segment === 'number' ? `[${segment}]` : index === 0 ? segment : `.${segment}`,
    )
    .join('');
}

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}
