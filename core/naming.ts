/**
 * Where things live in the warehouse. Every snapshot owns one physical table
 * `sluice__<schema>.<schema>__<name>__<fingerprint>`; an environment exposes each of its models as a
 * view: `<schema>.<name>` in `prod`, `<schema>__<env>.<name>` in any other environment. Names are
 * never shortened: one longer than PostgreSQL's 63-byte identifier limit is an error naming the
 * model, because a silently truncated name could collide with another.
 */

/** PostgreSQL's identifier limit (NAMEDATALEN - 1), in bytes. */
export const MAX_IDENTIFIER_BYTES = 63;

const UTF8 = new TextEncoder();

/** Length of a name in UTF-8 bytes, the unit of PostgreSQL's identifier limit. */
function byteLength(name: string): number {
  return UTF8.encode(name).length;
}

export const PROD_ENVIRONMENT = 'prod';

/** The prefix of every schema that holds physical tables. */
export const PHYSICAL_SCHEMA_PREFIX = 'sluice__';

const ENVIRONMENT_NAME = /^[a-z][a-z0-9_]*$/;
const FINGERPRINT = /^[A-Za-z0-9]+$/;

export interface PhysicalTable {
  schema: string;
  table: string;
  /** `"schema"."table"`: each part double-quoted, ready to be written into SQL. */
  qualified: string;
}

export interface EnvironmentView {
  schema: string;
  view: string;
  /** `"schema"."view"`: each part double-quoted, ready to be written into SQL. */
  qualified: string;
}

export class NamingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NamingError';
  }
}

/** Double-quotes an identifier, doubling embedded quotes; the name keeps its case. */
export function quoteIdentifier(name: string): string {
  if (name.length === 0) throw new NamingError('an identifier cannot be empty');
  if (name.includes('\0'))
    throw new NamingError(`identifier ${JSON.stringify(name)} contains a NUL character`);
  return `"${name.replaceAll('"', '""')}"`;
}

/** `"schema"."name"`. */
export function qualifiedName(schema: string, name: string): string {
  return `${quoteIdentifier(schema)}.${quoteIdentifier(name)}`;
}

/** Splits a model name (`schema.table`) into its schema and table. */
export function splitModelName(modelName: string): { schema: string; name: string } {
  const parts = modelName.split('.');
  if (parts.length !== 2 || parts.some((part) => part.length === 0)) {
    throw new NamingError(`model name "${modelName}" must be schema.table (two dot-separated parts)`);
  }
  return { schema: parts[0]!, name: parts[1]! };
}

/** The physical table a snapshot of `modelName` with this fingerprint owns. */
export function physicalTable(modelName: string, fingerprint: string): PhysicalTable {
  if (!FINGERPRINT.test(fingerprint)) {
    throw new NamingError(`model "${modelName}": fingerprint "${fingerprint}" must be letters and digits`);
  }
  const { schema, name } = splitModelName(modelName);
  const physicalSchema = `${PHYSICAL_SCHEMA_PREFIX}${schema}`;
  const table = `${schema}__${name}__${fingerprint}`;
  checkLength(modelName, 'physical schema', physicalSchema);
  checkLength(modelName, 'physical table', table);
  return { schema: physicalSchema, table, qualified: qualifiedName(physicalSchema, table) };
}

/** The view through which `environment` exposes `modelName`. */
export function environmentView(modelName: string, environment: string): EnvironmentView {
  validateEnvironmentName(environment);
  const { schema, name } = splitModelName(modelName);
  const viewSchema = environmentSchema(schema, environment);
  checkLength(modelName, `view schema for environment "${environment}"`, viewSchema);
  checkLength(modelName, 'view', name);
  return { schema: viewSchema, view: name, qualified: qualifiedName(viewSchema, name) };
}

/** The schema holding `environment`'s views of the models in `schema`. */
export function environmentSchema(schema: string, environment: string): string {
  return environment === PROD_ENVIRONMENT ? schema : `${schema}__${environment}`;
}

/** Throws unless `name` is an environment name: lower-case letters, digits and `_`, starting with a letter. */
export function validateEnvironmentName(name: string): void {
  if (typeof name !== 'string' || !ENVIRONMENT_NAME.test(name)) {
    throw new NamingError(
      `invalid environment name ${JSON.stringify(name)}: use lower-case letters, digits and _, starting with a letter`,
    );
  }
  if (byteLength(name) > MAX_IDENTIFIER_BYTES) {
    throw new NamingError(
      `invalid environment name "${name}": longer than ${MAX_IDENTIFIER_BYTES} characters`,
    );
  }
}

function checkLength(modelName: string, what: string, generated: string): void {
  const bytes = byteLength(generated);
  if (bytes > MAX_IDENTIFIER_BYTES) {
    throw new NamingError(
      `model "${modelName}": ${what} name "${generated}" is ${bytes} bytes, longer than PostgreSQL's ${MAX_IDENTIFIER_BYTES}-byte identifier limit; use a shorter model name`,
    );
  }
}
