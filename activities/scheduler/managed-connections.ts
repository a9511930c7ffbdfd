/**
 * The scheduler's side of scheduler-managed connections: the sealed connection of a gateway, as the
 * state database stores it, attached to the work sent to executors. The scheduler never opens it:
 * it holds no key, only the ciphertext, which executors open with SLUICE_ENCRYPTION_KEY.
 */
import type { Sealed } from '../../crypto/sealed.ts';
import type { StateDb } from '../../db/client.ts';
import { getConnection, sealedConnections } from '../../state/connections.ts';

/** The sealed connection stored for `gateway`; undefined when there is none. */
export async function managedConnectionOf(db: StateDb, gateway: string): Promise<Sealed | undefined> {
  return (await getConnection(db, gateway))?.sealed;
}

/** `group` with the sealed connection of its gateway, when one is stored in `sealed`. */
export function withManagedConnection<T extends { gateway: string }>(
  group: T,
  sealed: ReadonlyMap<string, Sealed>,
): T & { connection?: Sealed } {
  const connection = sealed.get(group.gateway);
  return connection === undefined ? group : { ...group, connection };
}

/** Every stored sealed connection by gateway, for work that spans several gateways. */
export function managedConnections(db: StateDb): Promise<Map<string, Sealed>> {
  return sealedConnections(db);
}
