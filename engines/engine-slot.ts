/**
 * One generation of a gateway's connection: the settings an engine is opened from (with the
 * executor's memory limit), the engine itself once first used, and how many pieces of work use it.
 * Both engine caches of an executor keep their engines in slots: the pool of its own gateways
 * (engines/pool.ts) and the cache of scheduler-managed connections
 * (activities/executor/managed-connections.ts). A slot whose settings were replaced is retired:
 * it keeps serving the work that still uses it and its owner closes it once that work is done.
 */

import type { EngineSettings } from './config.ts';
import { engineFor } from './create-engine.ts';
import type { Engine } from './engine.ts';

/** DuckDB settings that already bound its memory (`max_memory` is DuckDB's alias). */
const DUCKDB_MEMORY_SETTINGS = /^(memory_limit|max_memory)$/i;

/**
 * The executor's memory limit (SLUICE_MAX_MEMORY_MB) as DuckDB's own `memory_limit`, unless the
 * connection's connector_config sets one, so DuckDB refuses an oversized query before the process
 * grows past the limit.
 */
export function withMemoryLimit(settings: EngineSettings, maxMemoryMb: number | undefined): EngineSettings {
  if (maxMemoryMb === undefined || settings.type !== 'duckdb') return settings;
  if (Object.keys(settings.connectorConfig).some((key) => DUCKDB_MEMORY_SETTINGS.test(key))) return settings;
  return { ...settings, connectorConfig: { ...settings.connectorConfig, memory_limit: `${maxMemoryMb}MiB` } };
}

export class EngineSlot {
  readonly settings: EngineSettings;
  private opened: Engine | undefined;
  /** pieces of work using the engine right now. */
  users = 0;
  /** replaced or removed: closed by its owner once no work uses it. */
  retired = false;

  constructor(
    settings: EngineSettings,
    /** what tells this generation from the next (canonical settings, a sealed value's digest). */
    readonly key: string,
    maxMemoryMb: number | undefined,
  ) {
    this.settings = withMemoryLimit(settings, maxMemoryMb);
  }

  /** The engine, opened on first use. */
  get engine(): Engine {
    this.opened ??= engineFor(this.settings);
    return this.opened;
  }

  /** Whether an engine was opened (and is not closed yet). */
  get isOpen(): boolean {
    return this.opened !== undefined;
  }

  /**
   * Closes the engine, if one was opened; operations still running on it finish first. A failed
   * close leaves nothing a later close could release, so it is not reported.
   */
  close(): Promise<void> {
    const engine = this.opened;
    this.opened = undefined;
    if (engine === undefined) return Promise.resolve();
    return engine.close().then(
      () => {},
      () => {},
    );
  }
}
