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
import { type ParseOptions, parseGatewayConnection } from './config.ts';
import type { Engine } from './engine.ts';
import { EngineSlot } from './engine-slot.ts';
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

export class EnginePool {
  private slots = new Map<string, EngineSlot>();
  /** retired slots whose engines are still leased. */
  private readonly retiring = new Set<EngineSlot>();
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
    return this.slot(gateway).engine;
  }

  /** The current engine for `gateway`, held until the lease is released. */
  acquire(gateway: string): EngineLease {
    const slot = this.slot(gateway);
    const engine = slot.engine;
    slot.users++;
    let released = false;
    return {
      engine,
      release: () => {
        if (released) return;
        released = true;
        slot.users--;
        if (slot.retired && slot.users === 0) this.retire(slot);
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
      if (slot.users === 0) this.retire(slot);
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
    const slots = [...this.slots.values(), ...this.retiring];
    this.retiring.clear();
    await Promise.all([...slots.map((slot) => slot.close()), ...this.closing]);
  }

  private parse(gateways: GatewayConnections): Map<string, EngineSlot> {
    const slots = new Map<string, EngineSlot>();
    for (const [gateway, connection] of Object.entries(gateways)) {
      const settings = parseGatewayConnection(gateway, connection, this.options);
      slots.set(gateway, new EngineSlot(settings, canonical(settings), this.options.maxMemoryMb));
    }
    return slots;
  }

  private slot(gateway: string): EngineSlot {
    if (this.closed) throw closedError(gateway);
    const slot = this.slots.get(gateway);
    if (slot === undefined) throw new UnknownGatewayError(gateway, this.gateways);
    return slot;
  }

  /** Closes a retired slot's engine (it waits for operations still running on it). */
  private retire(slot: EngineSlot): void {
    this.retiring.delete(slot);
    const closing = slot.close();
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
