/**
 * Snapshot fingerprints. A model's `fingerprint` names the version of its data: it covers
 * everything that changes what the model's table holds (name, kind and its parameters, dialect,
 * the query, columns, interval unit, seed content, explicit dependencies, gateway) and the
 * fingerprints of its parents, so a change upstream gives every downstream model a new version too.
 * Formatting does not count: the query and column types are compared as tokens, without
 * whitespace or comments, with unquoted identifiers and keywords lower-cased (string literals and
 * quoted identifiers are kept exactly). `metadataHash` covers what changes how and when the model
 * runs but not its data (cron, time zone, owner, description, tags, grains, enabled, start, end,
 * and its audits: each one's name and arguments, and for a project audit its definition too, the
 * query normalised like the model's, `blocking`, `dialect` and `defaults`), as SQLMesh keeps audits
 * out of the data hash: editing an audit re-runs nothing, but the environment's later executions
 * run the edited audit.
 */

import { sha256Hex } from './hash.ts';
import type { Audit, Model } from './project/types.ts';
import { significant, tokenize } from './sql/tokenize.ts';

export interface ModelFingerprint {
  /** 10 lowercase hex characters. */
  fingerprint: string;
  /** 10 lowercase hex characters. */
  metadataHash: string;
}

const HASH_LENGTH = 10;

/** SQL as a canonical token string: no comments, single spaces, unquoted words and macros lower-cased. */
export function normalizeSql(sql: string): string {
  return significant(tokenize(sql))
    .map((t) => (t.type === 'word' || t.type === 'macro' ? t.text.toLowerCase() : t.text))
    .join(' ');
}

/** The parts of a model that define its data, in a fixed shape. */
function dataDefinition(model: Model, parentFingerprints: string[]): unknown {
  return {
    name: model.name,
    kind: canonicalKind(model),
    dialect: model.dialect,
    query: normalizeSql(model.query),
    columns: model.columns.map((c) => [c.name, normalizeSql(c.type)]),
    intervalUnit: model.intervalUnit,
    seed: model.seed ? model.seed.content.replace(/\r\n/g, '\n') : null,
    dependsOn: [...model.explicitDependsOn].sort(),
    gateway: model.gateway ?? null,
    parents: parentFingerprints,
  };
}

function canonicalKind(model: Model): unknown {
  const kind = model.kind;
  switch (kind.name) {
    case 'VIEW':
      return [kind.name, kind.materialized];
    case 'INCREMENTAL_BY_TIME_RANGE':
      return [
        kind.name,
        kind.timeColumn,
        kind.timeColumnFormat ?? null,
        kind.batchSize ?? null,
        kind.lookback,
      ];
    case 'INCREMENTAL_BY_UNIQUE_KEY':
      return [kind.name, kind.uniqueKey, kind.batchSize ?? null, kind.lookback];
    case 'SEED':
      return [kind.name, kind.path, kind.batchSize ?? null];
    default:
      return [kind.name];
  }
}

function metadataDefinition(model: Model, audits: Readonly<Record<string, Audit>>): unknown {
  return {
    cron: model.cron,
    cronTz: model.cronTz,
    owner: model.owner ?? null,
    description: model.description ?? null,
    tags: model.tags,
    grains: model.grains,
    audits: model.audits.map((a) => {
      const reference = [a.name, canonicalArguments(a.args)];
      // A project audit (which may take a built-in's name) is part of the model's metadata; a
      // built-in is sluice's own template, named by the reference alone.
      const own = audits[a.name];
      return own ? [...reference, auditDefinition(own)] : reference;
    }),
    enabled: model.enabled,
    start: model.start.raw,
    end: model.end?.raw ?? null,
  };
}

function canonicalArguments(args: Readonly<Record<string, string>>): unknown {
  return Object.entries(args)
    .map(([k, v]) => [k, normalizeSql(v)])
    .sort(([x], [y]) => (x! < y! ? -1 : x! > y! ? 1 : 0));
}

function auditDefinition(audit: Audit): unknown {
  return {
    query: normalizeSql(audit.query),
    blocking: audit.blocking,
    dialect: audit.dialect ?? null,
    defaults: canonicalArguments(audit.defaults),
  };
}

function hash(value: unknown): string {
  return sha256Hex(JSON.stringify(value)).slice(0, HASH_LENGTH);
}

/**
 * Fingerprints of every model, keyed by name, with `audits` the project's audits by name (the
 * metadata hash covers the ones a model references). Parents that are not among `models` are
 * ignored; throws when the models depend on each other in a cycle (a loaded project never does).
 */
export function fingerprintProject(
  models: readonly Model[],
  audits: Readonly<Record<string, Audit>>,
): Record<string, ModelFingerprint> {
  const byName = new Map(models.map((m) => [m.name, m]));
  const result: Record<string, ModelFingerprint> = {};
  const visiting = new Set<string>();
  const visit = (model: Model): string => {
    const done = result[model.name];
    if (done) return done.fingerprint;
    if (visiting.has(model.name)) throw new Error(`dependency cycle through model ${model.name}`);
    visiting.add(model.name);
    const parents = model.dependsOn
      .map((name) => byName.get(name))
      .filter((parent): parent is Model => parent !== undefined)
      .map(visit)
      .sort();
    visiting.delete(model.name);
    result[model.name] = {
      fingerprint: hash(dataDefinition(model, parents)),
      metadataHash: hash(metadataDefinition(model, audits)),
    };
    return result[model.name]!.fingerprint;
  };
  for (const model of models) visit(model);
  return result;
}
