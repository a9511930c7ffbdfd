/**
 * SQLMesh's built-in audits that sluice runs, written as plain SQL templates. Each one renders,
 * from a model's arguments, a query that returns the offending rows (the audit fails when it
 * returns any row), exactly as SQLMesh's versions do; `@this_model` is left in place for the
 * macro renderer. Every built-in also exists as `<name>_non_blocking`, which only warns.
 */

import { significant, tokenize } from '../sql/tokenize.ts';
import { tokensText } from './header.ts';

export interface BuiltinAudit {
  name: string;
  required: readonly string[];
  optional: readonly string[];
  /** SQL of the audit query for these (already checked) arguments. */
  render(args: Readonly<Record<string, string>>): string;
}

/** SQLMesh built-ins that sluice does not run. */
export const UNSUPPORTED_BUILTIN_AUDITS: readonly string[] = [
  'not_null_proportion',
  'sequential_values',
  'mutually_exclusive_ranges',
  'valid_uuid',
  'valid_url',
  'valid_http_method',
  'valid_email',
  'match_regex_pattern_list',
  'not_match_regex_pattern_list',
  'match_like_pattern_list',
  'not_match_like_pattern_list',
  'z_score',
  'string_length_between',
  'string_length_equal',
  'stddev_in_range',
  'mean_in_range',
  'kl_divergence',
  'chi_square',
];

const NON_BLOCKING = '_non_blocking';

/**
 * The items of a list argument: `(a, b)` and `[a, b]` give `['a', 'b']`, anything else is a list
 * of itself (`a` gives `['a']`).
 */
export function listItems(text: string): string[] {
  const tokens = significant(tokenize(text));
  const first = tokens[0];
  const last = tokens[tokens.length - 1];
  const wrapped =
    first?.type === 'punct' &&
    last?.type === 'punct' &&
    ((first.text === '(' && last.text === ')') || (first.text === '[' && last.text === ']'));
  if (!wrapped) return [tokensText(tokens)];
  let depth = 0;
  const items: string[] = [];
  let current: typeof tokens = [];
  for (let i = 1; i < tokens.length - 1; i++) {
    const t = tokens[i]!;
    if (t.type === 'punct' && (t.text === '(' || t.text === '[')) depth++;
    if (t.type === 'punct' && (t.text === ')' || t.text === ']')) depth--;
    if (depth < 0) return [tokensText(tokens)];
    if (depth === 0 && t.type === 'punct' && t.text === ',') {
      items.push(tokensText(current));
      current = [];
    } else {
      current.push(t);
    }
  }
  if (depth !== 0) return [tokensText(tokens)];
  if (current.length > 0) items.push(tokensText(current));
  return items.filter((item) => item !== '');
}

function where(conditions: Array<string | undefined>): string {
  const present = conditions.filter((c): c is string => c !== undefined);
  return present.length === 0 ? '' : `\nWHERE ${present.join(' AND ')}`;
}

function condition(args: Readonly<Record<string, string>>): string | undefined {
  return args.condition === undefined ? undefined : `(${args.condition})`;
}

function anyOf(items: string[], test: (item: string) => string): string {
  return `(${items.map(test).join(' OR ')})`;
}

const AUDITS: BuiltinAudit[] = [
  {
    name: 'not_null',
    required: ['columns'],
    optional: ['condition'],
    render: (args) =>
      `SELECT *\nFROM @this_model${where([anyOf(listItems(args.columns!), (c) => `${c} IS NULL`), condition(args)])}`,
  },
  {
    name: 'unique_values',
    required: ['columns'],
    optional: ['condition'],
    render: (args) => {
      const columns = listItems(args.columns!);
      const ranks = columns.map(
        (c, i) => `ROW_NUMBER() OVER (PARTITION BY ${c} ORDER BY ${c}) AS rank_${i + 1}`,
      );
      return (
        `SELECT *\nFROM (\n  SELECT ${ranks.join(', ')}\n  FROM @this_model${where([condition(args)]).replace('\n', '\n  ')}\n) AS audit_rows` +
        `\nWHERE ${columns.map((_, i) => `rank_${i + 1} > 1`).join(' OR ')}`
      );
    },
  },
  {
    name: 'accepted_values',
    required: ['column', 'is_in'],
    optional: ['condition'],
    render: (args) =>
      `SELECT *\nFROM @this_model${where([`${args.column} NOT IN (${listItems(args.is_in!).join(', ')})`, condition(args)])}`,
  },
  {
    name: 'not_accepted_values',
    required: ['column', 'is_in'],
    optional: ['condition'],
    render: (args) =>
      `SELECT *\nFROM @this_model${where([`${args.column} IN (${listItems(args.is_in!).join(', ')})`, condition(args)])}`,
  },
  {
    name: 'number_of_rows',
    required: ['threshold'],
    optional: ['condition'],
    render: (args) =>
      `SELECT COUNT(*)\nFROM (\n  SELECT 1\n  FROM @this_model${where([condition(args)]).replace('\n', '\n  ')}\n  LIMIT ${args.threshold} + 1\n) AS audit_rows\nHAVING COUNT(*) <= ${args.threshold}`,
  },
  {
    name: 'forall',
    required: ['criteria'],
    optional: ['condition'],
    render: (args) =>
      `SELECT *\nFROM @this_model${where([anyOf(listItems(args.criteria!), (c) => `NOT (${c})`), condition(args)])}`,
  },
  {
    name: 'accepted_range',
    required: ['column'],
    optional: ['min_v', 'max_v', 'inclusive', 'condition'],
    render: (args) => {
      const inclusive = (args.inclusive ?? 'true').toLowerCase() !== 'false';
      const outside: string[] = [];
      if (args.min_v !== undefined) outside.push(`${args.column} ${inclusive ? '<' : '<='} ${args.min_v}`);
      if (args.max_v !== undefined) outside.push(`${args.column} ${inclusive ? '>' : '>='} ${args.max_v}`);
      return `SELECT *\nFROM @this_model${where([`(${outside.join(' OR ')})`, condition(args)])}`;
    },
  },
  {
    name: 'at_least_one',
    required: ['column'],
    optional: ['condition'],
    render: (args) =>
      `SELECT 1\nFROM @this_model${where([condition(args)])}\nGROUP BY 1\nHAVING COUNT(${args.column}) = 0`,
  },
  {
    name: 'not_constant',
    required: ['column'],
    optional: ['condition'],
    render: (args) =>
      `SELECT 1\nFROM (\n  SELECT COUNT(DISTINCT ${args.column}) AS t_cardinality\n  FROM @this_model${where([condition(args)]).replace('\n', '\n  ')}\n) AS r\nWHERE r.t_cardinality <= 1`,
  },
  {
    name: 'not_empty_string',
    required: ['column'],
    optional: ['condition'],
    render: (args) => `SELECT *\nFROM @this_model${where([`${args.column} = ''`, condition(args)])}`,
  },
  {
    name: 'unique_combination_of_columns',
    required: ['columns'],
    optional: ['condition'],
    render: (args) => {
      const columns = listItems(args.columns!).join(', ');
      return `SELECT ${columns}\nFROM @this_model${where([condition(args)])}\nGROUP BY ${columns}\nHAVING COUNT(*) > 1`;
    },
  },
];

export const BUILTIN_AUDITS: Readonly<Record<string, BuiltinAudit>> = Object.fromEntries(
  AUDITS.map((a) => [a.name, a]),
);

/** The built-in audit a reference names (`not_null`, `not_null_non_blocking`, ...), or undefined. */
export function findBuiltinAudit(name: string): { audit: BuiltinAudit; blocking: boolean } | undefined {
  const lower = name.toLowerCase();
  const direct = BUILTIN_AUDITS[lower];
  if (direct) return { audit: direct, blocking: true };
  if (lower.endsWith(NON_BLOCKING)) {
    const base = BUILTIN_AUDITS[lower.slice(0, -NON_BLOCKING.length)];
    if (base) return { audit: base, blocking: false };
  }
  return undefined;
}

/** Is `name` a SQLMesh built-in audit that sluice does not run? */
export function isUnsupportedBuiltinAudit(name: string): boolean {
  const lower = name.toLowerCase();
  const base = lower.endsWith(NON_BLOCKING) ? lower.slice(0, -NON_BLOCKING.length) : lower;
  return UNSUPPORTED_BUILTIN_AUDITS.includes(base);
}

/** What is wrong with a built-in audit's arguments, or undefined when they are fine. */
export function checkBuiltinArguments(
  audit: BuiltinAudit,
  args: Readonly<Record<string, string>>,
): string | undefined {
  for (const name of Object.keys(args)) {
    if (!audit.required.includes(name) && !audit.optional.includes(name)) {
      const expected = [...audit.required, ...audit.optional].join(', ');
      return `audit ${audit.name} has no argument '${name}' (expected ${expected})`;
    }
  }
  const missing = audit.required.filter((name) => args[name] === undefined);
  if (missing.length > 0) return `audit ${audit.name} needs ${missing.map((m) => `${m} :=`).join(', ')}`;
  if (audit.name === 'number_of_rows' && !/^[0-9]+$/.test(args.threshold!)) {
    return `audit number_of_rows: threshold must be a non-negative integer`;
  }
  if (audit.name === 'accepted_range') {
    if (args.min_v === undefined && args.max_v === undefined)
      return 'audit accepted_range needs min_v := or max_v :=';
    if (args.inclusive !== undefined && !/^(true|false)$/i.test(args.inclusive)) {
      return 'audit accepted_range: inclusive must be true or false';
    }
  }
  for (const name of ['columns', 'is_in', 'criteria']) {
    if (args[name] !== undefined && listItems(args[name]!).length === 0)
      return `audit ${audit.name}: ${name} is empty`;
  }
  return undefined;
}
