/**
 * The engines of one executor process, one per gateway. Every gateway's settings are validated
 * when the pool is built, so a bad configuration stops the executor at start-up; each engine is
 * created on first use and reused afterwards, and `closeAll()` releases them at shutdown.
 *
 * DuckDB gateways open their database file in this process and keep it open until `closeAll()`;
 * DuckDB lets only one process write a file, so a DuckDB gateway belongs to a single executor.
 */

import type { GatewayConnection } from '../../core/project/types.ts';
import { type EngineSettings, type ParseOptions, parseGatewayConnection } from './config.ts';
import { engineFor } from './create-engine.ts';
import type { Engine } from './engine.ts';
import { UnknownGatewayError } from './errors.ts';
import { closedError } from './in-flight.ts';

export class EnginePool {
  private readonly settings = new Map<string, EngineSettings>();
  private readonly engines = new Map<string, Engine>();
  private closed = false;

  constructor(
    gateways: Readonly<Record<string, GatewayConnection | Readonly<Record<string, unknown>>>>,
    options: ParseOptions,
  ) {
    for (const [gateway, connection] of Object.entries(gateways)) {
      this.settings.set(gateway, parseGatewayConnection(gateway, connection, options));
    }
  }

  /** Names of the gateways this pool can serve, sorted. */
  get gateways(): string[] {
    return [...this.settings.keys()].sort();
  }

  has(gateway: string): boolean {
    return this.settings.has(gateway);
  }

  /** The engine for `gateway`, created on first request. */
  get(gateway: string): Engine {
    if (this.closed) throw closedError(gateway);
    const existing = this.engines.get(gateway);
    if (existing !== undefined) return existing;
    const settings = this.settings.get(gateway);
    if (settings === undefined) throw new UnknownGatewayError(gateway, this.gateways);
    const engine = engineFor(settings);
    this.engines.set(gateway, engine);
    return engine;
  }

  /** Closes every engine created so far; later `get` calls fail with ENGINE_CLOSED. */
  async closeAll(): Promise<void> {
    this.closed = true;
    const engines = [...this.engines.values()];
    this.engines.clear();
    await Promise.all(engines.map((engine) => engine.close()));
  }
}
