/**
 * SQLMesh's predefined macro variables (`@start_ds`, `@end_ts`, `@execution_epoch`, `@this_model`,
 * ...), rendered into a model's SQL exactly as SQLMesh renders them for DuckDB and PostgreSQL. sluice
 * renders nothing else: any other `@name` (`@IF`, `@EACH`, `@DEF`, `@var`, user macros) is an error.
 *
 * Values follow SQLMesh's `date_dict`: `start` is the interval start, `end` is the inclusive end (the
 * exclusive interval end minus one microsecond, so a day ends at 23:59:59.999999), `execution` the run
 * time. `@name` renders a SQL literal; `@{name}` splices the value into an identifier, as in
 * `tbl_@{start_ds}` -> `"tbl_2020-01-01"` (the identifier is quoted and normalised as SQLMesh
 * normalises it for the dialect).
 */
import type { ModelKindName } from './project/types.ts';
import { macroName, type Token, tokenize } from './sql/tokenize.ts';

export const MACRO_PREFIXES = ['start', 'end', 'execution', 'latest'] as const;
export const MACRO_SUFFIXES = ['ds', 'date', 'ts', 'tstz', 'dt', 'dtntz', 'epoch', 'millis', 'hour'] as const;

type Prefix = (typeof MACRO_PREFIXES)[number];
type Suffix = (typeof MACRO_SUFFIXES)[number];

const DIALECTS = new Set(['duckdb', 'postgres']);
/** Kinds that process no interval: only `@execution_*` and `@this_model` mean something there. */
const INTERVAL_FREE_KINDS = new Set<ModelKindName>(['VIEW', 'FULL']);

export interface MacroContext {
  /** interval start, epoch ms. */
  start: number;
  /** exclusive interval end, epoch ms. */
  end: number;
  /** execution time, epoch ms. */
  execution: number;
  /** physical table the model writes, `schema.table`; `@this_model` renders it quoted. */
  thisModel: string;
  kind: ModelKindName;
  dialect: string;
  /** the model's name, for messages (defaults to thisModel). */
  modelName?: string;
}

export interface MacroLocation {
  file: string;
  /** line of the SQL's first line in the file. */
  line: number;
}

export class MacroError extends Error {
  constructor(
    message: string,
    /** the macro as written without `@`, e.g. `IF` or `start_ds`. */
    readonly macro: string,
    /** line in the file (or in the SQL when no location was given). */
    readonly line: number,
    readonly file?: string,
  ) {
    super(file ? `${file}:${line}: ${message}` : `line ${line}: ${message}`);
    this.name = 'MacroError';
  }
}

function split(name: string): { prefix: Prefix; suffix: Suffix } | undefined {
  const lower = name.toLowerCase();
  for (const prefix of MACRO_PREFIXES) {
    if (!lower.startsWith(`${prefix}_`)) continue;
    const suffix = lower.slice(prefix.length + 1);
    if ((MACRO_SUFFIXES as readonly string[]).includes(suffix)) return { prefix, suffix: suffix as Suffix };
  }
  return undefined;
}

/** True for the macro variables sluice renders (`start_ds`, `END_TS`, `this_model`, ...), without `@`. */
export function isSupportedMacroVariable(name: string): boolean {
  return name.toLowerCase() === 'this_model' || split(name) !== undefined;
}

const unsupportedHint = 'sluice renders only @start_*, @end_*, @execution_* and @this_model';

function unsupportedMessage(name: string): string {
  return `macro @${name} is not supported by sluice (${unsupportedHint})`;
}

const BRACED = /@\{\s*([^}]*?)\s*\}/g;

interface MacroUse {
  name: string;
  line: number;
}

/** Every macro use outside strings and comments, including `@{name}` inside quoted identifiers. */
function macroUses(tokens: Token[]): MacroUse[] {
  const uses: MacroUse[] = [];
  for (const token of tokens) {
    if (token.type === 'macro') uses.push({ name: macroName(token), line: token.line });
    else if (token.type === 'quoted_identifier') {
      for (const m of token.text.matchAll(BRACED)) {
        const before = token.text.slice(0, m.index);
        uses.push({ name: m[1]!, line: token.line + (before.match(/\n/g)?.length ?? 0) });
      }
    }
  }
  return uses;
}

/** Macros in `sql` that sluice cannot render, with their lines (counted from `firstLine`). */
export function findUnsupportedMacros(sql: string, firstLine = 1): Array<{ name: string; line: number }> {
  return macroUses(tokenize(sql, firstLine)).filter((use) => !isSupportedMacroVariable(use.name));
}

function unavailableMessage(name: string, kind: ModelKindName, model: string): string {
  return `@${name} is not available in ${kind} model ${model}: ${kind} models process no interval, only @execution_* and @this_model are set`;
}

/**
 * Every macro problem in a model's SQL, for reporting at load time: unsupported macros, and interval
 * variables used in a VIEW or FULL model.
 */
export function findMacroIssues(
  sql: string,
  kind: ModelKindName,
  model: string,
  firstLine = 1,
): Array<{ name: string; line: number; message: string }> {
  const issues: Array<{ name: string; line: number; message: string }> = [];
  for (const use of macroUses(tokenize(sql, firstLine))) {
    if (!isSupportedMacroVariable(use.name)) {
      issues.push({ ...use, message: unsupportedMessage(use.name) });
    } else if (isIntervalVariable(use.name) && INTERVAL_FREE_KINDS.has(kind)) {
      issues.push({ ...use, message: unavailableMessage(use.name, kind, model) });
    }
  }
  return issues;
}

function isIntervalVariable(name: string): boolean {
  const parts = split(name);
  return parts !== undefined && (parts.prefix === 'start' || parts.prefix === 'end');
}

/** A microsecond-precision UTC instant, as SQLMesh's datetimes are. */
function isoParts(micros: bigint): { ts: string; hour: number } {
  const ms = Number(micros / 1000n - (micros % 1000n < 0n ? 1n : 0n));
  const sub = Number(((micros % 1_000_000n) + 1_000_000n) % 1_000_000n);
  const iso = new Date(ms).toISOString();
  const base = `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;
  return {
    ts: sub === 0 ? base : `${base}.${String(sub).padStart(6, '0')}`,
    hour: new Date(ms).getUTCHours(),
  };
}

/** Python's repr of a float: shortest round-trip digits, with `.0` on whole numbers. */
function pythonFloat(value: number): string {
  const text = String(value);
  return /^-?\d+$/.test(text) ? `${text}.0` : text;
}

interface RenderedValue {
  /** the SQL literal `@name` renders to. */
  literal: string;
  /** the text `@{name}` splices into an identifier. */
  identifier: string;
}

function renderValue(suffix: Suffix, micros: bigint): RenderedValue {
  const { ts, hour } = isoParts(micros);
  const ds = ts.slice(0, 10);
  const tstz = `${ts}+00:00`;
  const cast = (text: string, type: string) => {
    const literal = `CAST('${text}' AS ${type})`;
    return { literal, identifier: literal };
  };
  const string = (text: string) => ({ literal: `'${text}'`, identifier: text });
  const number = (text: string) => ({ literal: text, identifier: text });
  // SQLMesh's millis are int(timestamp() * 1000) with timestamp() = microseconds / 1e6 as a float.
  const millis = Math.trunc((Number(micros) / 1e6) * 1000);
  switch (suffix) {
    case 'ds':
      return string(ds);
    case 'ts':
      return string(ts);
    case 'tstz':
      return string(tstz);
    case 'date':
      return cast(ds, 'DATE');
    case 'dt':
      return cast(tstz, 'TIMESTAMPTZ');
    case 'dtntz':
      return cast(ts, 'TIMESTAMP');
    case 'epoch':
      return number(pythonFloat(millis / 1000));
    case 'millis':
      return number(String(millis));
    case 'hour':
      return number(String(hour));
  }
}

function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `schema.table` -> `"schema"."table"`; an already quoted name is kept as given. */
function renderTableName(name: string): string {
  if (name.includes('"')) return name;
  return name.split('.').map(quoteIdentifier).join('.');
}

/**
 * The name of an identifier built from spliced text, normalised as SQLMesh normalises it: DuckDB
 * lower-cases every identifier; PostgreSQL lower-cases only those that need no quotes.
 */
function normaliseIdentifier(text: string, dialect: string, quoted: boolean): string {
  if (dialect === 'duckdb') return text.toLowerCase();
  return !quoted && /^[A-Za-z_]\w*$/.test(text) ? text.toLowerCase() : text;
}

/**
 * Replaces the macro variables in `sql`, outside string literals and comments. Throws a MacroError
 * naming the macro (and `file:line` when `where` is given) for unsupported macros and for
 * `@start_*`/`@end_*` in VIEW and FULL models.
 */
export function renderMacros(sql: string, ctx: MacroContext, where?: MacroLocation): string {
  const dialect = (ctx.dialect.split(',')[0] ?? '').trim().toLowerCase();
  if (!DIALECTS.has(dialect)) {
    throw new Error(
      `cannot render macro variables for dialect ${JSON.stringify(ctx.dialect)}: sluice supports duckdb and postgres`,
    );
  }
  for (const [key, value] of [
    ['start', ctx.start],
    ['end', ctx.end],
    ['execution', ctx.execution],
  ] as const) {
    if (!Number.isFinite(value))
      throw new Error(`macro context ${key} must be epoch milliseconds, got ${value}`);
  }
  const model = ctx.modelName ?? ctx.thisModel;
  const instants: Record<Prefix, bigint> = {
    start: BigInt(Math.trunc(ctx.start)) * 1000n,
    end: BigInt(Math.trunc(ctx.end)) * 1000n - 1n,
    execution: BigInt(Math.trunc(ctx.execution)) * 1000n,
    latest: BigInt(Math.trunc(ctx.execution)) * 1000n,
  };
  const fail = (message: string, name: string, line: number): never => {
    throw new MacroError(message, name, line, where?.file);
  };

  const resolve = (name: string, line: number): RenderedValue => {
    if (name.toLowerCase() === 'this_model') {
      const table = renderTableName(ctx.thisModel);
      return { literal: table, identifier: table };
    }
    const parts = split(name);
    if (!parts) return fail(unsupportedMessage(name), name, line);
    if ((parts.prefix === 'start' || parts.prefix === 'end') && INTERVAL_FREE_KINDS.has(ctx.kind)) {
      return fail(unavailableMessage(name, ctx.kind, model), name, line);
    }
    return renderValue(parts.suffix, instants[parts.prefix]);
  };

  const identifierPiece = (token: Token): string => {
    if (token.type !== 'macro') return token.text;
    const name = macroName(token);
    if (name.toLowerCase() === 'this_model') {
      return fail(
        '@{this_model} cannot be part of an identifier; write @this_model on its own',
        name,
        token.line,
      );
    }
    return resolve(name, token.line).identifier;
  };

  const tokens = tokenize(sql, where?.line ?? 1);
  const out: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.type === 'quoted_identifier') {
      if (!token.text.includes('@{')) {
        out.push(token.text);
        continue;
      }
      const quote = token.text[0]!;
      const inner = token.text.slice(1, -1).replaceAll(quote + quote, quote);
      const spliced = inner.replace(BRACED, (_whole, name: string) =>
        identifierPiece({ type: 'macro', text: `@{${name}}`, start: token.start, line: token.line }),
      );
      const name = normaliseIdentifier(spliced, dialect, true);
      out.push(`${quote}${name.replaceAll(quote, quote + quote)}${quote}`);
      continue;
    }
    if (token.type !== 'macro') {
      out.push(token.text);
      continue;
    }
    const name = macroName(token);
    const before = tokens[i - 1];
    const after = tokens[i + 1];
    const joined = (before !== undefined && splices(before)) || (after !== undefined && splices(after));
    if (!token.text.startsWith('@{') || (name.toLowerCase() === 'this_model' && !joined)) {
      out.push(resolve(name, token.line).literal);
      continue;
    }
    // `@{name}` joins the words, numbers and other `@{...}` touching it into one identifier. Each
    // token before it was copied to `out` one for one, so the words it joins are the last entries.
    let j = i;
    while (j > 0 && splices(tokens[j - 1]!)) j--;
    let text = out.splice(out.length - (i - j), i - j).join('') + identifierPiece(token);
    while (i + 1 < tokens.length && splices(tokens[i + 1]!)) text += identifierPiece(tokens[++i]!);
    out.push(quoteIdentifier(normaliseIdentifier(text, dialect, false)));
  }
  return out.join('');
}

function splices(token: Token): boolean {
  return (
    token.type === 'word' ||
    token.type === 'number' ||
    (token.type === 'macro' && token.text.startsWith('@{'))
  );
}
