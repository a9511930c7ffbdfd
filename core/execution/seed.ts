/**
 * Loading a SEED model's CSV into its physical table. Columns the model declares keep their
 * declared types; otherwise each column's type is inferred from its values as SQLMesh infers it
 * (through pandas): all integers → BIGINT (TEXT beyond 64 bits), all numbers → DOUBLE PRECISION (also integers with a
 * missing value, and columns with no value at all), all `true`/`false` with no missing value →
 * BOOLEAN, anything else → TEXT. Values travel as escaped string literals cast to the column type,
 * in INSERTs of at most `batch_size` rows (1000 by default, as in SQLMesh).
 */

import { qualifiedName, quoteIdentifier } from '../naming.ts';
import type { Model } from '../project/types.ts';
import { CsvError, type CsvTable, parseCsv } from './csv.ts';
import { stringLiteral } from './sql-text.ts';

export const DEFAULT_SEED_BATCH_SIZE = 1000;

export interface SeedColumn {
  /** the column name (not quoted). */
  name: string;
  /** SQL type. */
  type: string;
  /** position of the column in the CSV. */
  csvIndex: number;
}

export interface SeedLoad {
  columns: SeedColumn[];
  /** `CREATE TABLE IF NOT EXISTS` with the seed's columns. */
  create: string;
  /** the INSERTs that load every row, in CSV order. */
  inserts: string[];
  rows: number;
}

export class SeedError extends Error {
  constructor(model: Model, problem: string, line?: number) {
    const file = model.seed?.path ?? (model.kind.name === 'SEED' ? model.kind.path : model.location.file);
    super(`model "${model.name}": seed ${file}${line === undefined ? '' : `:${line}`}: ${problem}`);
    this.name = 'SeedError';
  }
}

const INTEGER = /^\s*[+-]?\d+\s*$/;
const NUMBER = /^\s*[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf|infinity)\s*$/i;
const BOOLEAN = /^(true|false|True|False|TRUE|FALSE)$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The table definition and INSERTs that load `model`'s seed into `physical` (schema and table). */
export function seedLoad(model: Model, physical: { schema: string; table: string }): SeedLoad {
  if (model.seed === undefined) throw new SeedError(model, 'the seed file content was not loaded');
  let csv: CsvTable;
  try {
    csv = parseCsv(model.seed.content);
  } catch (error) {
    if (error instanceof CsvError) throw new SeedError(model, error.message, error.line);
    throw error;
  }
  const columns = seedColumns(model, csv);
  const target = qualifiedName(physical.schema, physical.table);
  const definitions = columns.map((c) => `${quoteIdentifier(c.name)} ${c.type}`).join(', ');
  const create = `CREATE TABLE IF NOT EXISTS ${target} (${definitions})`;
  const batchSize =
    model.kind.name === 'SEED' ? (model.kind.batchSize ?? DEFAULT_SEED_BATCH_SIZE) : DEFAULT_SEED_BATCH_SIZE;
  const names = columns.map((c) => quoteIdentifier(c.name)).join(', ');
  const valueNames = columns.map((_, i) => `v${i + 1}`);
  const casts = columns.map((c, i) => `CAST(${valueNames[i]} AS ${c.type})`).join(', ');
  const inserts: string[] = [];
  for (let from = 0; from < csv.rows.length; from += batchSize) {
    const tuples = csv.rows.slice(from, from + batchSize).map((row, k) => {
      const line = csv.lines[from + k];
      const values = columns.map((c) => literal(model, row[c.csvIndex] ?? null, c, line));
      return `(${values.join(', ')})`;
    });
    inserts.push(
      `INSERT INTO ${target} (${names})\nSELECT ${casts}\nFROM (VALUES\n${tuples.join(',\n')}\n) AS sluice_seed (${valueNames.join(', ')})`,
    );
  }
  return { columns, create, inserts, rows: csv.rows.length };
}

/** The seed's columns: declared ones with their types, or the CSV's with inferred types. */
export function seedColumns(model: Model, csv: CsvTable): SeedColumn[] {
  const header = csv.header.map((name, index) => {
    if (name.trim() === '') throw new SeedError(model, `column ${index + 1} of the header has no name`, 1);
    return name.toLowerCase();
  });
  const seen = new Set<string>();
  for (const name of header) {
    if (seen.has(name)) throw new SeedError(model, `column "${name}" appears twice in the header`, 1);
    seen.add(name);
  }
  if (model.columns.length === 0) {
    return header.map((name, csvIndex) => ({
      name,
      csvIndex,
      type: inferType(csv.rows.map((row) => row[csvIndex] ?? null)),
    }));
  }
  const declared = model.columns.map((c) => ({ name: c.name, type: c.type }));
  const missing = declared.filter((c) => !header.includes(c.name)).map((c) => c.name);
  if (missing.length > 0) {
    throw new SeedError(
      model,
      `declared column(s) ${missing.join(', ')} are not in the CSV header (${header.join(', ')})`,
      1,
    );
  }
  const extra = header.filter((name) => !declared.some((c) => c.name === name));
  if (extra.length > 0) {
    throw new SeedError(
      model,
      `CSV column(s) ${extra.join(', ')} are not among the model's declared columns (${declared.map((c) => c.name).join(', ')})`,
      1,
    );
  }
  return declared.map((c) => ({ ...c, csvIndex: header.indexOf(c.name) }));
}

/** The type SQLMesh infers (through pandas) for a column with these values. */
export function inferType(values: ReadonlyArray<string | null>): string {
  const present = values.filter((v): v is string => v !== null);
  const hasMissing = present.length < values.length;
  if (present.length === 0) return 'DOUBLE PRECISION';
  if (present.every((v) => INTEGER.test(v))) {
    // pandas keeps integers beyond 64 bits as text
    if (!present.every(isInt64)) return 'TEXT';
    return hasMissing ? 'DOUBLE PRECISION' : 'BIGINT';
  }
  if (present.every((v) => NUMBER.test(v))) return 'DOUBLE PRECISION';
  if (present.every((v) => BOOLEAN.test(v))) return hasMissing ? 'TEXT' : 'BOOLEAN';
  return 'TEXT';
}

function isInt64(value: string): boolean {
  const n = BigInt(value.trim());
  return n >= INT64_MIN && n <= INT64_MAX;
}

function literal(model: Model, value: string | null, column: SeedColumn, line: number | undefined): string {
  if (value === null) return 'NULL';
  if (value.includes('\0')) throw new SeedError(model, `column "${column.name}" holds a NUL character`, line);
  const numeric = column.type === 'BIGINT' || column.type === 'DOUBLE PRECISION';
  return stringLiteral(numeric ? value.trim() : value);
}
