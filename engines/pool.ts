/**
 * The engines of one executor process, one per gateway. Every gateway's settings are validated
 * when the pool is built, so a bad configuration stops the executor at start-up; each engine is
 * created on first use and reused afterwards, and `closeAll()` releases them at shutdown.
 *
 * Settings can change while the executor runs (a rotated password in a mounted env file, see
 * workers/env-file.ts): `update()` swaps in the new settings, and each gateway whose settings
 * changed gets a new engine for the work that starts afterwards. Work holds its engine through a
 * lease (`acquire()`); the engine it holds is closed once the last lease on it is released, so a
 * batch in flight always finishes on the engine it started with.
 *
 * DuckDB gateways open their database file in this process and keep it open until `closeAll()`;
 * DuckDB lets only one process write a file, so a DuckDB gateway belongs to a single executor.
 * With a memory limit (`maxMemoryMb`), DuckDB gateways get it as their own `memory_limit` unless
 * their connector_config sets one, so DuckDB refuses an oversized query before the process grows.
 */

import type { GatewayConnection } from '../core/project/types.ts';
import { type EngineSettings, type ParseOptions, parseGatewayConnection } from './config.ts';
import { engineFor } from './create-engine.ts';
import type { Engine } from './engine.ts';
import { UnknownGatewayError } from './errors.ts';
import { closedError } from './in-flight.ts';

export interface PoolOptions extends ParseOptions {
  /** the executor's memory limit (SLUICE_MAX_MEMORY_MB); becomes DuckDB's default memory_limit. */
  maxMemoryMb?: number;
}

export type GatewayConnections = Readonly<
  Record<string, GatewayConnection | Readonly<Record<string, unknown>>>
>;

/** What `update()` changed, by gateway name (sorted). */
export interface PoolChange {
  added: string[];
  changed: string[];
  removed: string[];
}

/** An engine held by a piece of work; release it when the work is done (more calls do nothing). */
export interface EngineLease {
  readonly engine: Engine;
  release(): void;
}

/** One generation of a gateway's settings and the engine built from them. */
interface Slot {
  settings: EngineSettings;
  /** the settings as a canonical string, to tell whether a reload changed them. */
  key: string;
  engine: Engine | undefined;
  leases: number;
  /** replaced or removed by `update()`: closed once its last lease is released. */
  retired: boolean;
}

/** DuckDB settings that already bound its memory (`max_memory` is DuckDB's alias). */
const DUCKDB_MEMORY_SETTINGS = /^(memory_limit|max_memory)$/i;

export class EnginePool {
  private slots = new Map<string, Slot>();
  /** retired slots whose engines are still leased. */
  private readonly retiring = new Set<Slot>();
  /** engines being closed after retirement. */
  private readonly closing = new Set<Promise<void>>();
  private closed = false;

  constructor(
    gateways: GatewayConnections,
    private readonly options: PoolOptions,
  ) {
    this.slots = this.parse(gateways);
  }

  /** Names of the gateways this pool can serve, sorted. */
  get gateways(): string[] {
    return [...this.slots.keys()].sort();
  }

  has(gateway: string): boolean {
    return this.slots.has(gateway);
  }

  /**
   * The current engine for `gateway`, created on first request. It is not leased: work that must
   * survive a settings change on its engine takes a lease with `acquire()` instead.
   */
  get(gateway: string): Engine {
    return this.engineOf(this.slot(gateway));
  }

  /** The current engine for `gateway`, held until the lease is released. */
  acquire(gateway: string): EngineLease {
    const slot = this.slot(gateway);
    const engine = this.engineOf(slot);
    slot.leases++;
    let released = false;
    return {
      engine,
      release: () => {
        if (released) return;
        released = true;
        slot.leases--;
        if (slot.retired && slot.leases === 0) this.retire(slot);
      },
    };
  }

  /**
   * Replaces the pool's gateways with `gateways`. Every gateway is validated first: when one is
   * invalid this throws (EngineConfigError) and nothing changes. Gateways whose settings changed
   * get a new engine on their next use; the engine they had is closed once its leases are released.
   * Removed gateways are no longer served.
   */
  update(gateways: GatewayConnections): PoolChange {
    if (this.closed) throw closedError(Object.keys(gateways).join(', '));
    const next = this.parse(gateways);
    const change: PoolChange = { added: [], changed: [], removed: [] };
    for (const [name, slot] of this.slots) {
      const replacement = next.get(name);
      if (replacement === undefined) change.removed.push(name);
      else if (replacement.key !== slot.key) change.changed.push(name);
      else {
        next.set(name, slot);
        continue;
      }
      slot.retired = true;
      if (slot.leases === 0) this.retire(slot);
      else this.retiring.add(slot);
    }
    for (const name of next.keys()) if (!this.slots.has(name)) change.added.push(name);
    this.slots = next;
    for (const list of Object.values(change)) list.sort();
    return change;
  }

  /** Closes every engine created so far; later `get` calls fail with ENGINE_CLOSED. */
  async closeAll(): Promise<void> {
    this.closed = true;
    const engines = [...this.slots.values(), ...this.retiring]
      .map((slot) => slot.engine)
      .filter((engine): engine is Engine => engine !== undefined);
    for (const slot of this.slots.values()) slot.engine = undefined;
    this.retiring.clear();
    await Promise.all([...engines.map((engine) => engine.close()), ...this.closing]);
  }

  private parse(gateways: GatewayConnections): Map<string, Slot> {
    const slots = new Map<string, Slot>();
    for (const [gateway, connection] of Object.entries(gateways)) {
      const settings = this.withMemoryLimit(parseGatewayConnection(gateway, connection, this.options));
      slots.set(gateway, {
        settings,
        key: canonical(settings),
        engine: undefined,
        leases: 0,
        retired: false,
      });
    }
    return slots;
  }

  private withMemoryLimit(settings: EngineSettings): EngineSettings {
    const limit = this.options.maxMemoryMb;
    if (limit === undefined || settings.type !== 'duckdb') return settings;
    if (Object.keys(settings.connectorConfig).some((key) => DUCKDB_MEMORY_SETTINGS.test(key)))
      return settings;
    return { ...settings, connectorConfig: { ...settings.connectorConfig, memory_limit: `${limit}MiB` } };
  }

  private slot(gateway: string): Slot {
    if (this.closed) throw closedError(gateway);
    const slot = this.slots.get(gateway);
    if (slot === undefined) throw new UnknownGatewayError(gateway, this.gateways);
    return slot;
  }

  private engineOf(slot: Slot): Engine {
    slot.engine ??= engineFor(slot.settings);
    return slot.engine;
  }

  /** Closes a retired slot's engine (it waits for operations still running on it). */
  private retire(slot: Slot): void {
    this.retiring.delete(slot);
    const engine = slot.engine;
    slot.engine = undefined;
    if (engine === undefined) return;
    const closing: Promise<void> = engine.close().then(
      () => {},
      // a failed close leaves nothing to release that a later close could
      () => {},
    );
    this.closing.add(closing);
    void closing.finally(() => this.closing.delete(closing));
  }
}

/** A stable string for settings: object keys sorted at every level. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => a.localeCompare(b)))
      : inner,
  );
}
