/**
 * Builds a model from its file: reads the `MODEL (...)` properties, applies `model_defaults` and
 * SQLMesh's own defaults (kind VIEW, cron `@daily`, time zone UTC, interval unit from the cron),
 * checks the statements after the header (one query; SEED models none), and reads the seed file.
 * What needs the other models (dependencies, audits, an inferred start) is done by the loader.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { isValidTimeZone, validateCron } from '../cron.ts';
import { INTERVAL_UNITS, inferIntervalUnit, intervalUnitIssue, isIntervalUnit } from '../interval-unit.ts';
import { findMacroIssues, findUnsupportedMacros } from '../macros.ts';
import type { Token } from '../sql/tokenize.ts';
import { identifierValue, significant, tokenize } from '../sql/tokenize.ts';
import { parseEndTimeValue, parseTimeValue } from '../time.ts';
import { readArguments } from './arguments.ts';
import { DIALECTS } from './config.ts';
import type { Property, Value } from './header.ts';
import { stringValue } from './header.ts';
import type { Issues } from './issues.ts';
import type { ParsedKind } from './kind.ts';
import { parseKind } from './kind.ts';
import type { ModelFile } from './model-file.ts';
import { isQuery } from './statements.ts';
import type {
  AuditReference,
  ColumnDefinition,
  IntervalUnit,
  Model,
  ModelDefaults,
  ModelKindName,
} from './types.ts';
import {
  identifierSql,
  readBoolean,
  readIdentifierPath,
  readList,
  readString,
  readText,
  ValueError,
  valueFromText,
  valueText,
} from './values.ts';

/** A model as read from its file, before the loader resolves what depends on other models. */
export interface ModelDraft {
  /** `dependsOn` holds the explicit `depends_on` only; `start` is a placeholder when `startGiven` is false. */
  model: Model;
  startGiven: boolean;
  /** lines the loader names in cross-model problems. */
  lines: {
    gateway?: number;
    /** per `depends_on` entry. */
    dependsOn: Record<string, number>;
    /** per entry of `audits`, in order. */
    audits: number[];
  };
  /** significant tokens of the query (empty for SEED models). */
  queryTokens: Token[];
}

export interface ModelContext {
  /** absolute project folder. */
  root: string;
  defaults: ModelDefaults;
  now: number;
  issues: Issues;
}

const SUPPORTED_PROPERTIES = new Set([
  'name',
  'kind',
  'dialect',
  'cron',
  'cron_tz',
  'interval_unit',
  'start',
  'end',
  'depends_on',
  'grain',
  'grains',
  'columns',
  'audits',
  'owner',
  'description',
  'tags',
  'enabled',
  'gateway',
]);

/** SQLMesh model properties that change nothing sluice does: accepted with a notice. */
const IGNORED_PROPERTIES = new Set([
  'column_descriptions',
  'references',
  'storage_format',
  'table_format',
  'partitioned_by',
  'clustered_by',
  'physical_properties',
  'table_properties',
  'virtual_properties',
  'session_properties',
  'optimize_query',
  'formatting',
  'ignored_rules',
  'retention',
  'grants',
  'grants_target_layer',
  'project',
  'stamp',
]);

/** SQLMesh model properties whose behaviour sluice does not implement. */
const UNSUPPORTED_PROPERTIES = new Set([
  'signals',
  'allow_partials',
  'physical_version',
  'physical_schema_override',
  'virtual_environment_mode',
  'default_catalog',
  'dbt_node_info',
]);

const DEFAULT_CRON = '@daily';
const DEFAULT_TIME_ZONE = 'UTC';

/** Builds the model of one file; returns undefined when it has no usable name. */
export function buildModel(file: string, parsed: ModelFile, ctx: ModelContext): ModelDraft | undefined {
  const { issues, defaults, now } = ctx;
  const properties = new Map<string, Property>();
  for (const property of parsed.header.properties) {
    const earlier = properties.get(property.key);
    if (earlier) {
      issues.error(
        file,
        property.line,
        `property ${property.key} is given twice (first on line ${earlier.line})`,
        property.key,
      );
      continue;
    }
    if (SUPPORTED_PROPERTIES.has(property.key)) {
      properties.set(property.key, property);
    } else if (IGNORED_PROPERTIES.has(property.key)) {
      issues.notice(file, property.line, `property ${property.key} is ignored by sluice`);
    } else if (UNSUPPORTED_PROPERTIES.has(property.key)) {
      issues.error(file, property.line, `property ${property.key} is not supported by sluice`, property.key);
    } else {
      issues.error(file, property.line, `unknown property '${property.key}'`, property.key);
    }
  }

  /** Reads a property with `read`; a bad value is reported and gives undefined. */
  const read = <T>(key: string, reader: (value: Value, property: Property) => T): T | undefined => {
    const property = properties.get(key);
    // A macro in a header value has been reported (model-file.ts); its value cannot be read.
    if (!property || (key !== 'cron' && property.value.tokens.some((t) => t.type === 'macro')))
      return undefined;
    try {
      return reader(property.value, property);
    } catch (error) {
      if (!(error instanceof ValueError)) throw error;
      issues.error(file, error.line, error.message, error.text);
      return undefined;
    }
  };
  const lineOf = (key: string) => properties.get(key)?.line;

  const nameProperty = properties.get('name');
  const name = read('name', readModelName);
  if (!nameProperty) issues.error(file, parsed.header.line, 'the MODEL block has no name');

  const kindRead = read('kind', (value) => parseKind(value));
  const kindFailed = properties.has('kind') && kindRead === undefined;
  const parsedKind = kindRead ?? defaultKind(defaults);
  for (const ignored of parsedKind?.ignored ?? []) {
    issues.notice(file, ignored.line, `kind parameter ${ignored.name} is ignored by sluice`);
  }
  const kind = parsedKind?.kind ?? { name: 'VIEW', materialized: false };

  const dialect =
    read('dialect', (value) => {
      const text = readText(value, 'dialect').toLowerCase();
      if (!(DIALECTS as readonly string[]).includes(text)) {
        throw new ValueError(
          `dialect '${text}' is not supported by sluice (expected ${DIALECTS.join(' or ')})`,
          value.line,
          text,
        );
      }
      return text;
    }) ??
    defaults.dialect ??
    '';

  const cron =
    read('cron', (value) => {
      const text = readString(value, 'cron', '@daily');
      const problem = validateCron(text);
      if (problem) throw new ValueError(problem, value.line, text);
      return text;
    }) ?? (properties.has('cron') ? undefined : (defaults.cron ?? DEFAULT_CRON));

  const cronTz =
    read('cron_tz', (value) => {
      const text = readText(value, 'cron_tz');
      if (!isValidTimeZone(text)) throw new ValueError(`unknown time zone '${text}'`, value.line, text);
      return text;
    }) ??
    defaults.cron_tz ??
    DEFAULT_TIME_ZONE;

  const explicitUnit =
    read('interval_unit', (value) => {
      const text = readText(value, 'interval_unit').toLowerCase();
      if (!isIntervalUnit(text)) {
        throw new ValueError(
          `unknown interval_unit '${text}' (expected ${INTERVAL_UNITS.join(', ')})`,
          value.line,
          text,
        );
      }
      return text;
    }) ?? (properties.has('interval_unit') ? undefined : defaults.interval_unit);
  let intervalUnit: IntervalUnit = explicitUnit ?? 'day';
  if (cron !== undefined) {
    try {
      intervalUnit = explicitUnit ?? inferIntervalUnit(cron);
      const problem = explicitUnit === undefined ? undefined : intervalUnitIssue(cron, explicitUnit);
      if (problem)
        issues.error(file, lineOf('interval_unit') ?? lineOf('cron') ?? parsed.header.line, problem, cron);
    } catch (error) {
      issues.error(file, lineOf('cron') ?? parsed.header.line, (error as Error).message, cron);
    }
  }

  const start = read('start', (value) => readTime(value, 'start', now, parseTimeValue));
  const defaultStart =
    start === undefined && !properties.has('start') && defaults.start !== undefined
      ? { raw: defaults.start, ms: parseTimeValue(numberOrText(defaults.start), now) }
      : undefined;
  const end = read('end', (value) => readTime(value, 'end', now, parseEndTimeValue));
  const effectiveStart = start ?? defaultStart;
  if (end && !effectiveStart && !properties.has('start')) {
    issues.error(file, lineOf('end')!, 'a model with an end needs a start', end.raw);
  }
  if (end && effectiveStart && parseTimeValue(numberOrText(end.raw), now) < effectiveStart.ms) {
    issues.error(file, lineOf('end')!, `end '${end.raw}' is before start '${effectiveStart.raw}'`, end.raw);
  }

  const dependsOnLines: Record<string, number> = {};
  const explicitDependsOn =
    read('depends_on', (value) =>
      readList(value).map((item) => {
        const dependency = readTableName(item, 'depends_on');
        dependsOnLines[dependency] ??= item.line;
        return dependency;
      }),
    ) ?? [];

  const grainKey = properties.has('grains') ? 'grains' : 'grain';
  if (properties.has('grain') && properties.has('grains')) {
    issues.error(file, lineOf('grains')!, 'use either grain or grains, not both', 'grains');
  }
  const grains = read(grainKey, (value) => readList(value).map(readGrain)) ?? [];

  const columns = read('columns', readColumns) ?? [];
  const auditLines: number[] = [];
  const audits =
    read('audits', (value) =>
      readList(value).map((item) => {
        auditLines.push(item.line);
        return readAuditReference(item);
      }),
    ) ?? [];
  const owner = read('owner', (value) => readText(value, 'owner')) ?? defaults.owner;
  const description = read('description', (value) => readText(value, 'description'));
  const tags = read('tags', (value) => readList(value).map((item) => readText(item, 'tags'))) ?? [];
  const enabled = read('enabled', (value) => readBoolean(value, 'enabled')) ?? defaults.enabled ?? true;
  const gateway = read('gateway', (value) => readText(value, 'gateway').toLowerCase()) ?? defaults.gateway;

  const { query, queryTokens } = readQuery(
    file,
    parsed,
    kindFailed ? undefined : kind.name,
    name?.name ?? file,
    issues,
  );
  const seed =
    kind.name === 'SEED' ? readSeed(file, kind.path, lineOf('kind') ?? parsed.header.line, ctx) : undefined;

  if (!name) return undefined;
  const model: Model = {
    name: name.name,
    schema: name.schema,
    table: name.table,
    kind,
    dialect,
    cron: cron ?? DEFAULT_CRON,
    cronTz,
    intervalUnit,
    start: effectiveStart ?? { raw: '', ms: 0 },
    ...(end ? { end } : {}),
    dependsOn: [...new Set(explicitDependsOn)].sort(),
    explicitDependsOn,
    grains,
    columns,
    audits,
    ...(owner === undefined ? {} : { owner }),
    ...(description === undefined ? {} : { description }),
    tags,
    enabled,
    ...(gateway === undefined ? {} : { gateway }),
    query,
    ...(seed ? { seed } : {}),
    location: { file, line: nameProperty?.line ?? parsed.header.line },
  };
  return {
    model,
    startGiven: effectiveStart !== undefined,
    lines: {
      ...(properties.has('gateway') ? { gateway: lineOf('gateway')! } : {}),
      dependsOn: dependsOnLines,
      audits: auditLines,
    },
    queryTokens,
  };
}

/** The kind of `model_defaults` (config.ts has checked it reads). */
function defaultKind(defaults: ModelDefaults): ParsedKind | undefined {
  return defaults.kind === undefined
    ? undefined
    : parseKind(valueFromText(defaults.kind, 0, 'model_defaults.kind'));
}

/** A numeric start or end written in config is epoch milliseconds, as when written in a header. */
function numberOrText(raw: string): string | number {
  return /^-?[0-9]+$/.test(raw) ? Number(raw) : raw;
}

function readTime(
  value: Value,
  what: string,
  now: number,
  parse: (value: string | number, now: number) => number,
): { raw: string; ms: number } {
  const term = value.terms[0];
  if (value.terms.length !== 1 || (term?.type !== 'string' && term?.type !== 'number')) {
    throw new ValueError(
      `${what} must be a quoted date or time (like '2024-01-01') or epoch milliseconds`,
      value.line,
      valueText(value),
    );
  }
  const raw = term.type === 'string' ? stringValue(term.token) : term.token.text;
  try {
    return { raw, ms: parse(term.type === 'number' ? Number(raw) : raw, now) };
  } catch (error) {
    throw new ValueError(`invalid ${what}: ${(error as Error).message}`, value.line, raw);
  }
}

interface ModelName {
  name: string;
  schema: string;
  table: string;
}

function readModelName(value: Value): ModelName {
  if (value.terms.length === 1 && value.terms[0]?.type === 'string') {
    throw new ValueError(
      'the model name must be an identifier like schema.table, not a quoted string',
      value.line,
      valueText(value),
    );
  }
  const parts = readIdentifierPath(value, 'the model name').map(identifierValue);
  if (parts.length === 3) {
    throw new ValueError(
      '3-part model names (catalog.schema.table) are not supported by sluice: name models schema.table',
      value.line,
      valueText(value),
    );
  }
  if (parts.length !== 2) {
    throw new ValueError(
      `model name '${valueText(value)}' must be of the form schema.table`,
      value.line,
      valueText(value),
    );
  }
  if (parts.some((p) => p.includes('.') || p === '')) {
    throw new ValueError('model name parts may not be empty or contain a dot', value.line, valueText(value));
  }
  return { name: parts.join('.'), schema: parts[0]!, table: parts[1]! };
}

/** `schema.table`, `"Schema"."table"` or `'schema.table'`, normalised like model names. */
function readTableName(value: Value, what: string): string {
  const only = value.terms[0];
  let parts: string[];
  if (value.terms.length === 1 && only?.type === 'string') {
    const inner = significant(tokenize(stringValue(only.token)));
    parts = inner.filter((_, i) => i % 2 === 0).map(identifierValue);
    const wellFormed = inner.every((t, i) =>
      i % 2 === 1
        ? t.type === 'punct' && t.text === '.'
        : t.type === 'word' || t.type === 'quoted_identifier',
    );
    if (!wellFormed || inner.length % 2 === 0) {
      throw new ValueError(`${what} must name models like schema.table`, value.line, valueText(value));
    }
  } else {
    parts = readIdentifierPath(value, what).map(identifierValue);
  }
  if (parts.length !== 2) {
    throw new ValueError(`${what} must name models like schema.table`, value.line, valueText(value));
  }
  return parts.join('.');
}

function readGrain(value: Value): string {
  const only = value.terms[0];
  if (value.terms.length === 1 && (only?.type === 'word' || only?.type === 'quoted'))
    return identifierSql(only.token);
  return valueText(value);
}

function readColumns(value: Value): ColumnDefinition[] {
  const only = value.terms[0];
  if (value.terms.length !== 1 || only?.type !== 'group' || only.open !== '(') {
    throw new ValueError('columns must be a list like (name TYPE, ...)', value.line, valueText(value));
  }
  const seen = new Set<string>();
  return only.items.map((item) => {
    const [nameTerm, ...typeTerms] = item.terms;
    if (!nameTerm || (nameTerm.type !== 'word' && nameTerm.type !== 'quoted')) {
      throw new ValueError('columns: expected a column name', item.line, valueText(item));
    }
    const name = identifierValue(nameTerm.token);
    if (typeTerms.length === 0) {
      throw new ValueError(`columns: column ${name} has no type`, item.line, valueText(item));
    }
    if (seen.has(name)) throw new ValueError(`columns: column ${name} is listed twice`, item.line, name);
    seen.add(name);
    const type = valueText({ terms: typeTerms, tokens: item.tokens.slice(1), line: item.line });
    return { name, type };
  });
}

function readAuditReference(value: Value): AuditReference {
  const [nameTerm, argsTerm, extra] = value.terms;
  if (
    nameTerm?.type !== 'word' ||
    extra ||
    (argsTerm && (argsTerm.type !== 'group' || argsTerm.open !== '('))
  ) {
    throw new ValueError(
      'audits must be a list like (audit_name, audit_name(arg := value))',
      value.line,
      valueText(value),
    );
  }
  const name = nameTerm.token.text.toLowerCase();
  return { name, args: argsTerm?.type === 'group' ? readArguments(argsTerm.items, `audit ${name}`) : {} };
}

function readQuery(
  file: string,
  parsed: ModelFile,
  /** undefined when the kind could not be read: only kind-independent checks are made. */
  kind: ModelKindName | undefined,
  modelName: string,
  issues: Issues,
): { query: string; queryTokens: Token[] } {
  const { statements, header } = parsed;
  const isSeed = kind === 'SEED';
  let queryIndex = isSeed ? -1 : statements.findIndex(isQuery);
  if (!isSeed && queryIndex < 0 && statements.length > 0) {
    queryIndex = 0;
    issues.error(
      file,
      statements[0]!.line,
      'the model query must be a SELECT query (SELECT, WITH, FROM or VALUES)',
    );
  }
  statements.forEach((statement, i) => {
    if (i !== queryIndex)
      issues.error(file, statement.line, 'pre/post statements are not supported by sluice');
  });
  if (isSeed) return { query: '', queryTokens: [] };
  const query = statements[queryIndex];
  if (!query) {
    issues.error(file, header.line, 'the model has no query after its MODEL block');
    return { query: '', queryTokens: [] };
  }
  const problems =
    kind === undefined
      ? findUnsupportedMacros(query.text, query.line).map((m) => ({
          ...m,
          message: `macro @${m.name} is not supported by sluice`,
        }))
      : findMacroIssues(query.text, kind, modelName, query.line);
  for (const problem of problems) issues.error(file, problem.line, problem.message, `@${problem.name}`);
  return { query: query.text, queryTokens: query.tokens };
}

function readSeed(
  file: string,
  seedPath: string,
  line: number,
  ctx: ModelContext,
): { path: string; content: string } | undefined {
  const relative = path.posix.normalize(path.posix.join(path.posix.dirname(file), seedPath));
  const absolute = path.isAbsolute(seedPath) ? seedPath : path.join(ctx.root, ...relative.split('/'));
  const shown = path.isAbsolute(seedPath) ? seedPath : relative;
  let content: string;
  try {
    content = fs.readFileSync(absolute, 'utf8');
  } catch {
    ctx.issues.error(
      file,
      line,
      `seed file ${shown} not found (the SEED path '${seedPath}' is read relative to the model file)`,
      seedPath,
    );
    return undefined;
  }
  return { path: shown, content };
}
