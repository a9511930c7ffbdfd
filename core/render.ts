/**
 * Renders a model's query for one batch: its macro variables get the batch's values
 * (core/macros.ts; `@this_model` is the model's own physical table), and every reference to
 * another model is replaced by the physical table the caller maps that model to, so the same
 * query reads development tables in a development backfill and production tables in production.
 * A reference to an EMBEDDED model becomes that model's rendered query, in parentheses, under the
 * model's table name as alias unless the reference already has an alias. References are found with
 * the loader's rules (core/project/references.ts), on tokens, so strings and comments are never
 * touched; names that are not models (external tables, CTEs) stay as written.
 */

import type { Interval } from './intervals.ts';
import { MacroError, renderMacros } from './macros.ts';
import { quoteIdentifier, splitModelName } from './naming.ts';
import { findTableReferences } from './project/references.ts';
import type { Model } from './project/types.ts';
import { SqlLexError, significant, type Token, tokenize } from './sql/tokenize.ts';

export interface RenderInput {
  model: Model;
  /**
   * every model of the project (EMBEDDED ones are inlined from here). A map by name (`modelsByName`)
   * is used as it is: callers that render many batches of one project build it once.
   */
  models: readonly Model[] | Readonly<Record<string, Model>> | ReadonlyMap<string, Model>;
  /** model name → the SQL name of the physical table to read (`physicalTable(...).qualified`). */
  tables: Readonly<Record<string, string>>;
  /** the batch's interval; required for incremental models. */
  interval?: Interval;
  /** the execution time, epoch ms. */
  execution: number;
  /** overrides the model's dialect. */
  dialect?: string;
}

export class RenderError extends Error {
  constructor(
    readonly model: string,
    readonly problem: string,
  ) {
    super(`model "${model}": ${problem}`);
    this.name = 'RenderError';
  }
}

/** Keywords that can follow a table in a FROM clause; any other word after a table is its alias. */
const NOT_AN_ALIAS = new Set([
  'where',
  'join',
  'inner',
  'left',
  'right',
  'full',
  'outer',
  'cross',
  'natural',
  'on',
  'using',
  'group',
  'order',
  'limit',
  'offset',
  'union',
  'intersect',
  'except',
  'having',
  'qualify',
  'window',
  'lateral',
  'fetch',
  'for',
  'tablesample',
  'pivot',
  'unpivot',
  'positional',
  'asof',
  'anti',
  'semi',
  'returning',
  'set',
  'values',
  'select',
  'from',
  'with',
  'into',
  'when',
  'then',
  'else',
  'end',
  'and',
  'or',
  'not',
  'is',
  'in',
  'partition',
  'sample',
]);

/** Kinds whose batches always cover an interval. */
const INCREMENTAL = new Set(['INCREMENTAL_BY_TIME_RANGE', 'INCREMENTAL_BY_UNIQUE_KEY']);

/** The model's query, rendered for the batch. */
export function renderQuery(input: RenderInput): string {
  return renderModelSql(input.model.query, input);
}

/**
 * Renders any SQL in the context of a model's batch (its query, or one of its audits): macro
 * variables first, then model references.
 */
export function renderModelSql(sql: string, input: RenderInput): string {
  const { model } = input;
  if (INCREMENTAL.has(model.kind.name) && input.interval === undefined) {
    throw new RenderError(model.name, `a ${model.kind.name} batch needs an interval to render its query`);
  }
  const byName = modelsByName(input.models);
  const thisModel = input.tables[model.name];
  if (thisModel === undefined && model.kind.name !== 'EMBEDDED') {
    throw new RenderError(model.name, 'no physical table was given for the model itself');
  }
  return render(sql, model, thisModel ?? model.name, input, byName, [model.name]);
}

/**
 * Does the FROM item ending just before `tokens[next]` have an alias? `tokens` are significant
 * tokens; `next` is the index of the first token after the item.
 */
export function followedByAlias(tokens: readonly Token[], next: number): boolean {
  const after = tokens[next];
  if (after === undefined) return false;
  if (after.type === 'quoted_identifier') return true;
  if (after.type !== 'word') return false;
  const word = after.text.toLowerCase();
  return word === 'as' || !NOT_AN_ALIAS.has(word);
}

/** The models by name, to render many batches against without indexing them again for each. */
export function modelsByName(models: RenderInput['models']): ReadonlyMap<string, Model> {
  if (models instanceof Map) return models;
  const list: readonly Model[] = Array.isArray(models)
    ? models
    : Object.values(models as Readonly<Record<string, Model>>);
  return new Map(list.map((m) => [m.name, m]));
}

function render(
  sql: string,
  model: Model,
  thisModel: string,
  input: RenderInput,
  byName: ReadonlyMap<string, Model>,
  stack: string[],
): string {
  const [start, end] = input.interval ?? [input.execution, input.execution];
  let withMacros: string;
  try {
    withMacros = renderMacros(sql, {
      start,
      end,
      execution: input.execution,
      thisModel,
      kind: model.kind.name,
      dialect: input.dialect ?? model.dialect,
      modelName: model.name,
    });
  } catch (error) {
    if (error instanceof MacroError || error instanceof SqlLexError) {
      throw new RenderError(
        stack[0]!,
        `${stack.length > 1 ? `embedded model "${model.name}": ` : ''}${error.message}`,
      );
    }
    throw error;
  }
  return resolveReferences(withMacros, model, thisModel, input, byName, stack);
}

function resolveReferences(
  sql: string,
  model: Model,
  thisModel: string,
  input: RenderInput,
  byName: ReadonlyMap<string, Model>,
  stack: string[],
): string {
  const tokens = significant(tokenize(sql));
  let out = '';
  let copied = 0;
  for (const reference of findTableReferences(tokens)) {
    const target = byName.get(reference.name);
    if (target === undefined) continue;
    const first = tokens[reference.index]!;
    const last = tokens[reference.index + 2]!;
    let replacement: string;
    if (target.kind.name === 'EMBEDDED') {
      if (stack.includes(target.name)) {
        throw new RenderError(
          stack[0]!,
          `embedded models reference each other: ${[...stack, target.name].join(' -> ')}`,
        );
      }
      const inner = render(target.query, target, thisModel, input, byName, [...stack, target.name]);
      const alias = followedByAlias(tokens, reference.index + 3)
        ? ''
        : ` AS ${quoteIdentifier(splitModelName(target.name).name)}`;
      replacement = `(\n${inner}\n)${alias}`;
    } else {
      const table = input.tables[target.name];
      if (table === undefined) {
        throw new RenderError(
          stack[0]!,
          `${stack.length > 1 ? `embedded model "${model.name}"` : 'the query'} reads model "${target.name}" (query line ${reference.line}), but no physical table was given for it`,
        );
      }
      replacement = table;
    }
    out += sql.slice(copied, first.start) + replacement;
    copied = last.start + last.text.length;
  }
  return out + sql.slice(copied);
}
