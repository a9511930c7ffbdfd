/**
 * The engines an executor builds from scheduler-managed connections: connection settings stored
 * sealed in the state database (`sluice connections add`) that come with the work, opened here with
 * the executor's SLUICE_ENCRYPTION_KEY (the gateway name is the associated data, so a value sealed
 * for one gateway does not open for another). The plain settings live only in this process's
 * memory, inside the engine built from them.
 *
 * Engines are cached per (gateway, key id, hash of the sealed value): work that brings the same
 * sealed value reuses the engine, and a new sealed value (the connection was replaced, or re-sealed
 * under a new key) gets a new engine. The engine the gateway had before is retired: it keeps
 * serving the work that still uses it and closes once it has been idle for `retireAfterMs`. Each
 * operation holds its engine while it runs, so an engine never closes under a statement; work that
 * comes back to a retired, closed engine gets it rebuilt from its own sealed value.
 */

import { createHash } from 'node:crypto';
import type { Keyring } from '../../crypto/keyring.ts';
import { isSealed, OpenError, open, type Sealed } from '../../crypto/sealed.ts';
import { type EngineSettings, parseGatewayConnection } from '../../engines/config.ts';
import type {
  ColumnInfo,
  Engine,
  MetadataRow,
  MetadataValue,
  QueryRows,
  ReadQueryOptions,
  Statement,
  StatementResult,
  TransactionOptions,
} from '../../engines/engine.ts';
import { EngineSlot } from '../../engines/engine-slot.ts';
import { EngineConfigError } from '../../engines/errors.ts';
import { closedError } from '../../engines/in-flight.ts';
import { quoteIdentifier, quoteQualifiedName } from '../../engines/quote.ts';
import { InvalidRequestError } from './invalid-request-error.ts';
import { SealedConnectionError } from './sealed-connection-error.ts';

export const ENCRYPTION_KEY_VARIABLE = 'SLUICE_ENCRYPTION_KEY';

/** How long a replaced engine may sit idle before it closes. */
const DEFAULT_RETIRE_AFTER_MS = 10_000;

export interface ManagedConnectionsOptions {
  /** SLUICE_ENCRYPTION_KEY (and _PREVIOUS); without it every managed connection is refused. */
  keyring: Keyring | undefined;
  /** how this executor names itself in errors. */
  identity: string;
  /** the folder relative DuckDB database paths resolve against. */
  baseDir: string;
  /** SLUICE_MAX_MEMORY_MB: DuckDB's memory_limit unless the connection sets one. */
  maxMemoryMb?: number;
  retireAfterMs?: number;
}

/** A slot of one sealed value; `users` counts the operations running on its engine. */
interface Entry {
  gateway: string;
  slot: EngineSlot;
  /** set while a retired entry waits out retireAfterMs idle before it closes. */
  timer: NodeJS.Timeout | undefined;
}

/** The sealed connection in an activity input, or undefined when it brought none. */
export function readSealedConnection(value: unknown, where: string): Sealed | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isSealed(value)) {
    throw new InvalidRequestError(`${where}: expected a sealed connection (v: 1, keyId, iv, data and tag)`);
  }
  return value;
}

export class ManagedConnections {
  private readonly entries = new Map<string, Entry>();
  /** the key of each gateway's newest connection. */
  private readonly current = new Map<string, string>();
  private readonly closing = new Set<Promise<void>>();
  private readonly retireAfterMs: number;
  private closed = false;

  constructor(private readonly options: ManagedConnectionsOptions) {
    this.retireAfterMs = options.retireAfterMs ?? DEFAULT_RETIRE_AFTER_MS;
  }

  /** Whether this executor can open managed connections at all. */
  get keyring(): Keyring | undefined {
    return this.options.keyring;
  }

  /** Engines currently open or ready to open (retired ones included), for health and tests. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * The settings `sealed` holds for `gateway`, checked as the executor's own gateways are. Throws
   * SealedConnectionError when it cannot be opened, EngineConfigError when the settings are invalid.
   */
  settings(gateway: string, sealed: Sealed): EngineSettings {
    const keyring = this.options.keyring;
    if (keyring === undefined) {
      throw new SealedConnectionError(
        gateway,
        sealed.keyId,
        this.options.identity,
        `it is sealed with key "${sealed.keyId}" and this executor has no ${ENCRYPTION_KEY_VARIABLE}`,
      );
    }
    let plain: Buffer;
    try {
      plain = open(keyring, sealed, gateway);
    } catch (error) {
      if (!(error instanceof OpenError)) throw error;
      throw new SealedConnectionError(gateway, sealed.keyId, this.options.identity, error.message);
    }
    let connection: unknown;
    try {
      connection = JSON.parse(plain.toString('utf8'));
    } catch {
      // the parser's message would quote the text, which may hold a password
      throw new EngineConfigError(gateway, undefined, 'the managed connection is not a JSON mapping');
    } finally {
      plain.fill(0);
    }
    if (connection === null || typeof connection !== 'object' || Array.isArray(connection)) {
      throw new EngineConfigError(gateway, undefined, 'the managed connection is not a mapping');
    }
    return parseGatewayConnection(gateway, connection as Record<string, unknown>, {
      baseDir: this.options.baseDir,
    });
  }

  /**
   * An engine for `gateway` from its sealed connection. The engine is a handle: each operation runs
   * on the cached engine of this sealed value, and `close()` on it does nothing (the cache owns
   * the engine; `closeAll()` closes every one).
   */
  engine(gateway: string, sealed: Sealed): Engine {
    if (this.closed) throw closedError(gateway);
    const key = cacheKey(gateway, sealed);
    const entry = this.entries.get(key) ?? this.add(key, gateway, sealed);
    if (this.current.get(gateway) !== key) this.makeCurrent(entry);
    return new ManagedEngine(gateway, entry.slot.settings.type, (operation) =>
      this.use(key, gateway, sealed, operation),
    );
  }

  /** Closes every engine; later calls fail with ENGINE_CLOSED. */
  async closeAll(): Promise<void> {
    this.closed = true;
    const slots: EngineSlot[] = [];
    for (const entry of this.entries.values()) {
      clearTimeout(entry.timer);
      slots.push(entry.slot);
    }
    this.entries.clear();
    this.current.clear();
    await Promise.all([...slots.map((slot) => slot.close()), ...this.closing]);
  }

  private add(key: string, gateway: string, sealed: Sealed): Entry {
    const entry: Entry = {
      gateway,
      slot: new EngineSlot(this.settings(gateway, sealed), key, this.options.maxMemoryMb),
      timer: undefined,
    };
    entry.slot.retired = this.current.has(gateway);
    this.entries.set(key, entry);
    if (entry.slot.retired) this.scheduleRetirement(entry);
    return entry;
  }

  /** `entry` becomes its gateway's connection; the others of the gateway retire. */
  private makeCurrent(entry: Entry): void {
    this.current.set(entry.gateway, entry.slot.key);
    entry.slot.retired = false;
    clearTimeout(entry.timer);
    entry.timer = undefined;
    for (const other of this.entries.values()) {
      if (other.gateway !== entry.gateway || other === entry || other.slot.retired) continue;
      other.slot.retired = true;
      this.scheduleRetirement(other);
    }
  }

  private async use<T>(
    key: string,
    gateway: string,
    sealed: Sealed,
    operation: (engine: Engine) => Promise<T>,
  ): Promise<T> {
    if (this.closed) throw closedError(gateway);
    const entry = this.entries.get(key) ?? this.add(key, gateway, sealed);
    entry.slot.users++;
    clearTimeout(entry.timer);
    entry.timer = undefined;
    try {
      return await operation(entry.slot.engine);
    } finally {
      entry.slot.users--;
      if (entry.slot.retired) this.scheduleRetirement(entry);
    }
  }

  private scheduleRetirement(entry: Entry): void {
    if (entry.slot.users > 0 || this.closed) return;
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => this.retire(entry), this.retireAfterMs);
    entry.timer.unref();
  }

  private retire(entry: Entry): void {
    entry.timer = undefined;
    const { slot } = entry;
    if (!slot.retired || slot.users > 0 || this.entries.get(slot.key) !== entry) return;
    this.entries.delete(slot.key);
    if (!slot.isOpen) return;
    const closing = slot.close();
    this.closing.add(closing);
    void closing.finally(() => this.closing.delete(closing));
  }
}

function cacheKey(gateway: string, sealed: Sealed): string {
  const digest = createHash('sha256')
    .update(sealed.iv)
    .update('\u0000')
    .update(sealed.data)
    .update('\u0000')
    .update(sealed.tag)
    .digest('hex');
  return `${gateway}\u0000${sealed.keyId}\u0000${digest}`;
}

type Use = <T>(operation: (engine: Engine) => Promise<T>) => Promise<T>;

/** The Engine an activity gets for a managed connection: every call runs on the cached engine. */
class ManagedEngine implements Engine {
  constructor(
    readonly gateway: string,
    readonly type: Engine['type'],
    private readonly use: Use,
  ) {}

  runInTransaction(
    statements: readonly Statement[],
    options?: TransactionOptions,
  ): Promise<StatementResult[]> {
    return this.use((engine) => engine.runInTransaction(statements, options));
  }
  queryScalar(sql: string): Promise<MetadataValue> {
    return this.use((engine) => engine.queryScalar(sql));
  }
  queryRows(sql: string, limit: number): Promise<MetadataRow[]> {
    return this.use((engine) => engine.queryRows(sql, limit));
  }
  readQuery(sql: string, options: ReadQueryOptions): Promise<QueryRows> {
    return this.use((engine) => engine.readQuery(sql, options));
  }
  createSchema(name: string): Promise<void> {
    return this.use((engine) => engine.createSchema(name));
  }
  createOrReplaceView(qualifiedName: string, selectSql: string): Promise<void> {
    return this.use((engine) => engine.createOrReplaceView(qualifiedName, selectSql));
  }
  dropView(qualifiedName: string): Promise<void> {
    return this.use((engine) => engine.dropView(qualifiedName));
  }
  dropTable(qualifiedName: string): Promise<void> {
    return this.use((engine) => engine.dropTable(qualifiedName));
  }
  dropEmptySchema(name: string): Promise<boolean> {
    return this.use((engine) => engine.dropEmptySchema(name));
  }
  tableExists(schema: string, table: string): Promise<boolean> {
    return this.use((engine) => engine.tableExists(schema, table));
  }
  columns(schema: string, table: string): Promise<ColumnInfo[]> {
    return this.use((engine) => engine.columns(schema, table));
  }
  quoteIdentifier(name: string): string {
    return quoteIdentifier(name);
  }
  quoteQualifiedName(qualifiedName: string): string {
    return quoteQualifiedName(qualifiedName);
  }
  ping(): Promise<void> {
    return this.use((engine) => engine.ping());
  }
  /** The cache owns the engine: closing the handle leaves it to `ManagedConnections.closeAll()`. */
  async close(): Promise<void> {}
}
