/**
 * The connection test an apply executor runs before the API stores a scheduler-managed connection:
 * open the sealed settings, build an engine from them, connect and ping, read the server's version,
 * close. Nothing is cached and no SQL beyond the ping and the version read runs. Failures are the
 * engines' own errors, which never carry a password.
 */

import type { Sealed } from '../../crypto/sealed.ts';
import { engineFor } from '../../engines/create-engine.ts';
import type { ManagedConnections } from './managed-connections.ts';

export interface SealedConnectionTest {
  serverVersion?: string;
  latencyMs: number;
}

export async function testSealedConnection(
  managed: ManagedConnections,
  gateway: string,
  sealed: Sealed,
): Promise<SealedConnectionTest> {
  const engine = engineFor(managed.settings(gateway, sealed));
  try {
    const started = performance.now();
    await engine.ping();
    const latencyMs = Math.max(0, Math.round(performance.now() - started));
    let serverVersion: string | undefined;
    try {
      const version = await engine.queryScalar('SELECT version()');
      if (typeof version === 'string' && version.trim() !== '') serverVersion = version.trim().slice(0, 200);
    } catch {
      // the version is a courtesy: a warehouse that will not say still passed the test
    }
    return serverVersion === undefined ? { latencyMs } : { serverVersion, latencyMs };
  } finally {
    await engine.close().catch(() => {});
  }
}
