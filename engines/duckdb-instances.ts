/**
 * One DuckDBInstance per database file per process. DuckDB lets a single process open a file for
 * writing (the file is locked; a second process fails with "Could not set lock on file"), and inside
 * that process every connection must come from the same instance to see one consistent database.
 * Engines of several gateways pointing at the same file therefore share an instance, counted by
 * reference and closed when the last engine lets go. In-memory databases are never shared.
 */

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';

export interface InstanceLease {
  readonly instance: DuckDBInstance;
  release(): void;
}

interface Entry {
  opening: Promise<DuckDBInstance>;
  options: string;
  references: number;
}

const open = new Map<string, Entry>();

/**
 * Opens (or reuses) the instance for `database`. `options` are DuckDB settings applied at open
 * time; a file already open with different settings is refused rather than silently reused.
 */
export async function leaseInstance(
  database: string,
  options: Record<string, string>,
): Promise<InstanceLease> {
  const key = canonicalOptions(options);
  if (database.startsWith(':memory:')) {
    const instance = await DuckDBInstance.create(database, options);
    return singleLease(instance);
  }
  let entry = open.get(database);
  if (entry !== undefined && entry.options !== key) {
    throw new Error(
      `DuckDB database ${database} is already open in this process with different connector_config`,
    );
  }
  if (entry === undefined) {
    const created: Entry = { opening: openFile(database, options), options: key, references: 0 };
    open.set(database, created);
    created.opening.catch(() => {
      if (open.get(database) === created) open.delete(database);
    });
    entry = created;
  }
  entry.references++;
  const current = entry;
  let instance: DuckDBInstance;
  try {
    instance = await current.opening;
  } catch (error) {
    current.references--;
    throw error;
  }
  let released = false;
  return {
    instance,
    release() {
      if (released) return;
      released = true;
      current.references--;
      if (current.references === 0 && open.get(database) === current) {
        open.delete(database);
        instance.closeSync();
      }
    },
  };
}

async function openFile(database: string, options: Record<string, string>): Promise<DuckDBInstance> {
  mkdirSync(dirname(database), { recursive: true });
  return DuckDBInstance.create(database, options);
}

function singleLease(instance: DuckDBInstance): InstanceLease {
  let released = false;
  return {
    instance,
    release() {
      if (released) return;
      released = true;
      instance.closeSync();
    },
  };
}

function canonicalOptions(options: Record<string, string>): string {
  return JSON.stringify(Object.entries(options).sort(([a], [b]) => a.localeCompare(b)));
}
