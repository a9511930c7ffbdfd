/**
 * Reads a model's `kind` property (`FULL`, `INCREMENTAL_BY_TIME_RANGE (time_column ds, batch_size 7)`,
 * ...) into a `ModelKind`, with SQLMesh's parameter names and rules (positive integers, one
 * time column, ...). Parameters SQLMesh knows but sluice ignores come back as notices.
 */

import type { Term, Value } from './header.ts';
import type { ModelKind } from './types.ts';
import {
  identifierSql,
  readBoolean,
  readColumn,
  readList,
  readPositiveInteger,
  readString,
  termsValue,
  ValueError,
  valueText,
} from './values.ts';

export const SUPPORTED_KINDS = [
  'VIEW',
  'FULL',
  'INCREMENTAL_BY_TIME_RANGE',
  'INCREMENTAL_BY_UNIQUE_KEY',
  'SEED',
  'EMBEDDED',
] as const;

/** Kinds SQLMesh has that sluice does not run. */
const UNSUPPORTED_KINDS = new Set([
  'INCREMENTAL_BY_PARTITION',
  'INCREMENTAL_UNMANAGED',
  'SCD_TYPE_2',
  'SCD_TYPE_2_BY_TIME',
  'SCD_TYPE_2_BY_COLUMN',
  'CUSTOM',
  'MANAGED',
  'EXTERNAL',
  'DBT_CUSTOM',
]);

type KindName = (typeof SUPPORTED_KINDS)[number];

/**
 * Per kind: the parameters sluice reads, the SQLMesh parameters that change nothing sluice does
 * (accepted with a notice), and the SQLMesh parameters whose behaviour sluice does not implement.
 */
const PARAMETERS: Record<KindName, { read: string[]; ignored: string[]; unsupported: string[] }> = {
  VIEW: { read: ['materialized'], ignored: [], unsupported: [] },
  FULL: { read: [], ignored: [], unsupported: [] },
  INCREMENTAL_BY_TIME_RANGE: {
    read: ['time_column', 'batch_size', 'lookback'],
    ignored: ['batch_concurrency', 'partition_by_time_column', 'on_destructive_change', 'on_additive_change'],
    unsupported: [
      'forward_only',
      'disable_restatement',
      'auto_restatement_cron',
      'auto_restatement_intervals',
    ],
  },
  INCREMENTAL_BY_UNIQUE_KEY: {
    read: ['unique_key', 'batch_size', 'lookback'],
    ignored: ['batch_concurrency', 'on_destructive_change', 'on_additive_change'],
    unsupported: [
      'forward_only',
      'disable_restatement',
      'auto_restatement_cron',
      'when_matched',
      'merge_filter',
    ],
  },
  SEED: { read: ['path', 'batch_size'], ignored: [], unsupported: ['csv_settings'] },
  EMBEDDED: { read: [], ignored: [], unsupported: [] },
};

export interface ParsedKind {
  kind: ModelKind;
  /** parameters accepted but ignored, with their lines. */
  ignored: { name: string; line: number }[];
}

interface Parameter {
  name: string;
  line: number;
  value: Value;
}

/** Reads a kind value; throws `ValueError` naming the line and text of the first problem. */
export function parseKind(value: Value): ParsedKind {
  const [nameTerm, paramsTerm, extra] = value.terms;
  if (!nameTerm || (nameTerm.type !== 'word' && nameTerm.type !== 'quoted')) {
    throw new ValueError('kind must be a model kind name like FULL', value.line, valueText(value));
  }
  const name = nameTerm.token.text.replaceAll('"', '').toUpperCase();
  if (UNSUPPORTED_KINDS.has(name)) {
    throw new ValueError(`model kind ${name} is not supported by sluice`, nameTerm.line, nameTerm.token.text);
  }
  if (!(SUPPORTED_KINDS as readonly string[]).includes(name)) {
    throw new ValueError(
      `unknown model kind '${nameTerm.token.text}' (expected one of ${SUPPORTED_KINDS.join(', ')})`,
      nameTerm.line,
      nameTerm.token.text,
    );
  }
  const kindName = name as KindName;
  if (extra) {
    throw new ValueError(
      `unexpected '${valueText(termsValue(value.terms.slice(2)))}' after kind ${kindName}`,
      extra.line,
    );
  }
  if (paramsTerm && (paramsTerm.type !== 'group' || paramsTerm.open !== '(')) {
    throw new ValueError(
      `unexpected '${valueText(termsValue([paramsTerm]))}' after kind ${kindName}`,
      paramsTerm.line,
    );
  }
  const params = paramsTerm ? readParameters(kindName, paramsTerm) : [];
  const known = PARAMETERS[kindName];
  const ignored: ParsedKind['ignored'] = [];
  const byName = new Map<string, Parameter>();
  for (const p of params) {
    if (byName.has(p.name)) {
      throw new ValueError(`kind ${kindName}: parameter ${p.name} is given twice`, p.line, p.name);
    }
    byName.set(p.name, p);
    if (known.read.includes(p.name)) continue;
    if (known.ignored.includes(p.name)) {
      ignored.push({ name: p.name, line: p.line });
    } else if (known.unsupported.includes(p.name)) {
      throw new ValueError(
        `kind ${kindName}: parameter ${p.name} is not supported by sluice`,
        p.line,
        p.name,
      );
    } else {
      const expected =
        known.read.length > 0 ? ` (expected ${known.read.join(', ')})` : ` (${kindName} takes no parameters)`;
      throw new ValueError(`kind ${kindName}: unknown parameter '${p.name}'${expected}`, p.line, p.name);
    }
  }
  const what = (param: string) => `kind ${kindName}: ${param}`;
  const positive = (param: string) => {
    const p = byName.get(param);
    return p ? readPositiveInteger(p.value, what(param)) : undefined;
  };
  const required = (param: string): Parameter => {
    const p = byName.get(param);
    if (!p) throw new ValueError(`kind ${kindName} needs a ${param}`, nameTerm.line, nameTerm.token.text);
    return p;
  };

  switch (kindName) {
    case 'VIEW': {
      const materialized = byName.get('materialized');
      return {
        kind: {
          name: 'VIEW',
          materialized: materialized ? readBoolean(materialized.value, what('materialized')) : false,
        },
        ignored,
      };
    }
    case 'FULL':
      return { kind: { name: 'FULL' }, ignored };
    case 'EMBEDDED':
      return { kind: { name: 'EMBEDDED' }, ignored };
    case 'INCREMENTAL_BY_TIME_RANGE': {
      const { column, format } = readTimeColumn(required('time_column').value, what('time_column'));
      const batchSize = positive('batch_size');
      return {
        kind: {
          name: 'INCREMENTAL_BY_TIME_RANGE',
          timeColumn: column,
          ...(format === undefined ? {} : { timeColumnFormat: format }),
          ...(batchSize === undefined ? {} : { batchSize }),
          lookback: positive('lookback') ?? 0,
        },
        ignored,
      };
    }
    case 'INCREMENTAL_BY_UNIQUE_KEY': {
      const keys = readList(required('unique_key').value).map((item) => readColumn(item, what('unique_key')));
      if (keys.length === 0) {
        throw new ValueError(
          `${what('unique_key')} must name at least one column`,
          byName.get('unique_key')!.line,
        );
      }
      const batchSize = positive('batch_size');
      return {
        kind: {
          name: 'INCREMENTAL_BY_UNIQUE_KEY',
          uniqueKey: keys,
          ...(batchSize === undefined ? {} : { batchSize }),
          lookback: positive('lookback') ?? 0,
        },
        ignored,
      };
    }
    case 'SEED': {
      const path = readString(required('path').value, what('path')).replaceAll('\\', '/');
      const batchSize = positive('batch_size');
      return { kind: { name: 'SEED', path, ...(batchSize === undefined ? {} : { batchSize }) }, ignored };
    }
  }
}

function readParameters(kindName: string, group: Extract<Term, { type: 'group' }>): Parameter[] {
  return group.items.map((item) => {
    const [key, ...rest] = item.terms;
    if (!key || (key.type !== 'word' && key.type !== 'quoted')) {
      throw new ValueError(`kind ${kindName}: expected a parameter name`, item.line, valueText(item));
    }
    const name = key.token.text.toLowerCase();
    if (rest.length === 0) {
      throw new ValueError(`kind ${kindName}: parameter ${name} has no value`, key.line, key.token.text);
    }
    return { name, line: key.line, value: termsValue(rest) };
  });
}

/** `time_column ds` or `time_column (ds, '%Y-%m-%d')`. */
function readTimeColumn(value: Value, what: string): { column: string; format?: string } {
  const only = value.terms[0];
  if (value.terms.length === 1 && only?.type === 'group') {
    const [column, format, extra] = only.items;
    if (!column || !format || extra) {
      throw new ValueError(`${what} must be a column or (column, 'format')`, value.line, valueText(value));
    }
    return { column: readColumn(column, what), format: readString(format, `${what} format`) };
  }
  if (only && value.terms.length === 1 && (only.type === 'word' || only.type === 'quoted')) {
    return { column: identifierSql(only.token) };
  }
  throw new ValueError(`${what} must be a column or (column, 'format')`, value.line, valueText(value));
}
