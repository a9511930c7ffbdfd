/**
 * Snapshots: immutable versions of models, named `<model name>@<fingerprint>`. Storing a snapshot
 * that is already stored is a no-op; storing a different snapshot under an existing id is refused,
 * since the id is supposed to be a hash of the content.
 */
import { and, asc, eq, inArray, lt, notExists, type SQL } from 'drizzle-orm';
import type { Model, ModelKindName } from '../core/project/types.ts';
import type { StateDb } from '../db/client.ts';
import { environmentSnapshots, snapshots } from '../db/schema.ts';
import {
  invalid,
  iso,
  optionalDate,
  requireJson,
  requireOneOf,
  requireText,
  requireTextList,
} from './validate.ts';

export const MODEL_KIND_NAMES: readonly ModelKindName[] = [
  'VIEW',
  'FULL',
  'INCREMENTAL_BY_TIME_RANGE',
  'INCREMENTAL_BY_UNIQUE_KEY',
  'SEED',
  'EMBEDDED',
];

export interface SnapshotInput {
  name: string;
  fingerprint: string;
  metadataHash: string;
  kind: ModelKindName;
  /** the model as loaded. */
  definition: Model;
  /** the rendered, normalised query text. */
  query: string;
  /** ids of the snapshots this one reads from. */
  parents: string[];
  physicalSchema: string;
  physicalTable: string;
  gateway: string;
}

export interface SnapshotRecord extends SnapshotInput {
  id: string;
  createdAt: string;
}

type SnapshotRow = typeof snapshots.$inferSelect;

export function snapshotId(name: string, fingerprint: string): string {
  return `${name}@${fingerprint}`;
}

export function parseSnapshotId(id: string): { name: string; fingerprint: string } {
  const at = typeof id === 'string' ? id.lastIndexOf('@') : -1;
  if (at <= 0 || at === id.length - 1)
    throw invalid('snapshot id', id, 'must look like <model name>@<fingerprint>');
  return { name: id.slice(0, at), fingerprint: id.slice(at + 1) };
}

/** Snapshots per insert statement: twelve parameters each, well under the 65,535 a statement binds. */
const INSERT_CHUNK = 2000;

/** Stores the snapshots that are not stored yet, in one transaction. */
export async function upsertSnapshots(
  db: StateDb,
  inputs: readonly SnapshotInput[],
): Promise<{ inserted: string[]; existing: string[] }> {
  if (!Array.isArray(inputs)) throw invalid('snapshots', inputs, 'must be a list');
  const rows = new Map<string, typeof snapshots.$inferInsert>();
  inputs.forEach((input, index) => {
    const row = checkSnapshot(input, index);
    const earlier = rows.get(row.id);
    if (earlier && differences(earlier, row).length > 0) {
      throw new Error(`snapshots[${index}]: snapshot "${row.id}" appears twice with different content`);
    }
    rows.set(row.id, row);
  });
  if (rows.size === 0) return { inserted: [], existing: [] };

  return db.transaction(async (tx) => {
    const parents = [...new Set([...rows.values()].flatMap((row) => row.parents))].filter(
      (id) => !rows.has(id),
    );
    if (parents.length > 0) {
      const found = await tx
        .select({ id: snapshots.id })
        .from(snapshots)
        .where(inArray(snapshots.id, parents));
      const known = new Set(found.map((row) => row.id));
      for (const row of rows.values()) {
        const missing = row.parents.filter((id) => !rows.has(id) && !known.has(id));
        if (missing.length > 0) {
          throw new Error(
            `snapshot "${row.id}" has unknown parent ${missing.map((id) => `"${id}"`).join(', ')}`,
          );
        }
      }
    }
    const createdAt = new Date();
    const all = [...rows.values()].map((row) => ({ ...row, createdAt }));
    const inserted = new Set<string>();
    // a statement binds at most 65,535 parameters: thousands of snapshots go in several
    for (let from = 0; from < all.length; from += INSERT_CHUNK) {
      const insertedRows = await tx
        .insert(snapshots)
        .values(all.slice(from, from + INSERT_CHUNK))
        .onConflictDoNothing()
        .returning({ id: snapshots.id });
      for (const row of insertedRows) inserted.add(row.id);
    }
    const existing = [...rows.keys()].filter((id) => !inserted.has(id));
    if (existing.length > 0) {
      const stored = await tx.select().from(snapshots).where(inArray(snapshots.id, existing));
      for (const row of stored) {
        const changed = differences(row, rows.get(row.id)!);
        if (changed.length > 0) {
          throw new Error(
            `snapshot "${row.id}" is already stored with a different ${changed.join(', ')}; ` +
              'a snapshot never changes, a new definition needs a new fingerprint',
          );
        }
      }
    }
    return { inserted: [...rows.keys()].filter((id) => inserted.has(id)), existing };
  });
}

/** The stored snapshots among `ids`, in the order asked for; unknown ids are left out. */
export async function getSnapshots(db: StateDb, ids: readonly string[]): Promise<SnapshotRecord[]> {
  const wanted = [...new Set(requireTextList('ids', ids))];
  if (wanted.length === 0) return [];
  const rows = await db.select().from(snapshots).where(inArray(snapshots.id, wanted));
  return inOrderAsked(wanted, rows, toRecord);
}

/** `rows` in the order of `wanted` (ids none of them has left out), each turned by `to`. */
function inOrderAsked<R extends { id: string }, T>(
  wanted: readonly string[],
  rows: R[],
  to: (row: R) => T,
): T[] {
  const byId = new Map(rows.map((row) => [row.id, row]));
  return wanted.flatMap((id) => {
    const row = byId.get(id);
    return row ? [to(row)] : [];
  });
}

/** Where a snapshot's table is and what it is, without the model definition, query and parents. */
export type SnapshotPlacement = Pick<
  SnapshotRecord,
  'id' | 'name' | 'fingerprint' | 'kind' | 'gateway' | 'physicalSchema' | 'physicalTable'
>;

/**
 * `getSnapshots` without the definitions, queries and parents, the bulk of a snapshot's row: for
 * callers that know the models already (from a stored plan's project, say).
 */
export async function getSnapshotPlacements(
  db: StateDb,
  ids: readonly string[],
): Promise<SnapshotPlacement[]> {
  const wanted = [...new Set(requireTextList('ids', ids))];
  if (wanted.length === 0) return [];
  const rows = await db
    .select({
      id: snapshots.id,
      name: snapshots.name,
      fingerprint: snapshots.fingerprint,
      kind: snapshots.kind,
      gateway: snapshots.gateway,
      physicalSchema: snapshots.physicalSchema,
      physicalTable: snapshots.physicalTable,
    })
    .from(snapshots)
    .where(inArray(snapshots.id, wanted));
  return inOrderAsked(wanted, rows, (row) => ({ ...row, kind: row.kind as ModelKindName }));
}

/**
 * Snapshots that no environment maps to, oldest first: what the janitor may drop. `createdBefore`
 * spares snapshots a plan has just stored and not yet promoted; `names` keeps only the versions of
 * those models.
 */
export async function unreferencedSnapshots(
  db: StateDb,
  options: { createdBefore?: Date | string | number; names?: readonly string[] } = {},
): Promise<SnapshotRecord[]> {
  const createdBefore = optionalDate('createdBefore', options.createdBefore);
  const names =
    options.names === undefined ? undefined : [...new Set(requireTextList('names', options.names))];
  if (names?.length === 0) return [];
  const conditions: SQL[] = [
    notExists(
      db
        .select({ one: environmentSnapshots.snapshotId })
        .from(environmentSnapshots)
        .where(eq(environmentSnapshots.snapshotId, snapshots.id)),
    ),
  ];
  if (createdBefore) conditions.push(lt(snapshots.createdAt, createdBefore));
  if (names) conditions.push(inArray(snapshots.name, names));
  const rows = await db
    .select()
    .from(snapshots)
    .where(and(...conditions))
    .orderBy(asc(snapshots.createdAt), asc(snapshots.id));
  return rows.map(toRecord);
}

/** Deletes snapshots and their intervals; refuses while any environment maps to one of them. */
export async function deleteSnapshots(db: StateDb, ids: readonly string[]): Promise<{ deleted: string[] }> {
  const wanted = [...new Set(requireTextList('ids', ids))];
  if (wanted.length === 0) return { deleted: [] };
  return db.transaction(async (tx) => {
    const inUse = await tx
      .select()
      .from(environmentSnapshots)
      .where(inArray(environmentSnapshots.snapshotId, wanted))
      .orderBy(asc(environmentSnapshots.snapshotId), asc(environmentSnapshots.environment));
    const first = inUse[0];
    if (first) {
      throw new Error(
        `snapshot "${first.snapshotId}" is still used by environment "${first.environment}" ` +
          `(model ${first.modelName}); it cannot be deleted`,
      );
    }
    const deleted = await tx
      .delete(snapshots)
      .where(inArray(snapshots.id, wanted))
      .returning({ id: snapshots.id });
    const gone = new Set(deleted.map((row) => row.id));
    return { deleted: wanted.filter((id) => gone.has(id)) };
  });
}

function checkSnapshot(input: SnapshotInput, index: number): typeof snapshots.$inferInsert {
  const at = `snapshots[${index}]`;
  if (input === null || typeof input !== 'object') throw invalid(at, input, 'must be an object');
  const name = requireText(`${at}.name`, input.name);
  const fingerprint = requireText(`${at}.fingerprint`, input.fingerprint);
  if (/[@\s]/.test(fingerprint))
    throw invalid(`${at}.fingerprint`, fingerprint, 'must not contain "@" or spaces');
  const kind = requireOneOf(`${at}.kind`, input.kind, MODEL_KIND_NAMES);
  const definition = requireJson(`${at}.definition`, input.definition);
  if (definition === null || typeof definition !== 'object' || Array.isArray(definition)) {
    throw invalid(`${at}.definition`, input.definition, 'must be the model object');
  }
  const model = definition as Partial<Model>;
  if (model.name !== name)
    throw invalid(`${at}.definition.name`, model.name, `must equal the snapshot name "${name}"`);
  if (model.kind?.name !== kind) {
    throw invalid(`${at}.definition.kind.name`, model.kind?.name, `must equal the snapshot kind "${kind}"`);
  }
  if (typeof input.query !== 'string' || input.query.trim() === '') {
    throw invalid(`${at}.query`, input.query, 'must be the non-empty query text');
  }
  if (input.query.includes('\u0000'))
    throw invalid(`${at}.query`, input.query, 'must not contain NUL characters');
  const id = snapshotId(name, fingerprint);
  const parents = requireTextList(`${at}.parents`, input.parents);
  parents.forEach((parent, position) => {
    parseSnapshotId(parent);
    if (parent === id) throw invalid(`${at}.parents[${position}]`, parent, 'must not be the snapshot itself');
  });
  return {
    id,
    name,
    fingerprint,
    metadataHash: requireText(`${at}.metadataHash`, input.metadataHash),
    kind,
    definition: definition as Record<string, unknown>,
    query: input.query,
    parents,
    physicalSchema: requireText(`${at}.physicalSchema`, input.physicalSchema),
    physicalTable: requireText(`${at}.physicalTable`, input.physicalTable),
    gateway: requireText(`${at}.gateway`, input.gateway),
  };
}

const COMPARED_FIELDS = [
  'metadataHash',
  'kind',
  'definition',
  'query',
  'parents',
  'physicalSchema',
  'physicalTable',
  'gateway',
] as const;

function differences(
  stored: typeof snapshots.$inferInsert,
  incoming: typeof snapshots.$inferInsert,
): string[] {
  return COMPARED_FIELDS.filter((field) => canonicalJson(stored[field]) !== canonicalJson(incoming[field]));
}

/** JSON with object keys sorted, so jsonb's key order does not count as a difference. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function toRecord(row: SnapshotRow): SnapshotRecord {
  return {
    id: row.id,
    name: row.name,
    fingerprint: row.fingerprint,
    metadataHash: row.metadataHash,
    kind: row.kind as ModelKindName,
    definition: row.definition as unknown as Model,
    query: row.query,
    parents: row.parents,
    physicalSchema: row.physicalSchema,
    physicalTable: row.physicalTable,
    gateway: row.gateway,
    createdAt: iso(row.createdAt),
  };
}
