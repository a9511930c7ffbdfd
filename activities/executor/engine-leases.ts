/**
 * The engines one executor activity holds. An activity takes each engine through a lease on the
 * pool (engines/pool.ts) and releases every lease when it ends, so a gateway whose
 * settings are reloaded mid-activity keeps serving that activity from the engine it started with,
 * and the old engine closes only once the activity is done with it.
 *
 * The leases live in an AsyncLocalStorage scope opened by `hold()` around the activity body, so
 * the helpers that look up engines need no extra parameter.
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import type { Engine } from '../../engines/engine.ts';
import type { EngineLease, EnginePool } from '../../engines/pool.ts';

export class ActivityLeases {
  private readonly scope = new AsyncLocalStorage<EngineLease[]>();

  constructor(private readonly pool: EnginePool) {}

  /** Runs `work`; every engine it acquires is released when it settles. */
  async hold<T>(work: () => Promise<T>): Promise<T> {
    const leases: EngineLease[] = [];
    try {
      return await this.scope.run(leases, work);
    } finally {
      for (const lease of leases.splice(0)) lease.release();
    }
  }

  /**
   * The engine for `gateway`, leased until the enclosing `hold()` ends. Outside `hold()` the
   * current engine is returned without a lease.
   */
  acquire(gateway: string): Engine {
    const leases = this.scope.getStore();
    if (leases === undefined) return this.pool.get(gateway);
    const lease = this.pool.acquire(gateway);
    leases.push(lease);
    return lease.engine;
  }
}
