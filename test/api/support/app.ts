/** Apps for the route tests, on a real state database, with Temporal reachable or deliberately not. */
import { Client, Connection } from '@temporalio/client';
import { type AppOptions, createApp, type SluiceApp } from '../../../api/app.ts';
import { createApiToken } from '../../../api/auth/tokens.ts';
import type { StateDb } from '../../../db/client.ts';
import type { ApiRole } from '../../../db/schema.ts';

/**
 * A client whose server does not exist: every call fails, as with Temporal down. The SDK retries an
 * unavailable server on a timer until the call's deadline, so closing waits for those retries to
 * run out before it closes the channel under them.
 */
export function unreachableTemporal(): { client: Client; close(): Promise<void> } {
  const connection = Connection.lazy({ address: '127.0.0.1:1' });
  return {
    client: new Client({ connection }),
    async close() {
      await new Promise((resolve) => setTimeout(resolve, 6_000));
      await connection.close();
    },
  };
}

export function testApp(options: Partial<AppOptions> & Pick<AppOptions, 'db' | 'client'>): SluiceApp {
  return createApp({
    auth: 'tokens',
    temporalTimeoutMs: 1_500,
    eventPollMs: 50,
    logError: () => {},
    ...options,
  });
}

export async function tokenFor(
  db: StateDb,
  role: ApiRole,
  environments: string[] = ['*'],
  name = `${role}-${environments.join('+')}`,
): Promise<string> {
  const { token } = await createApiToken(db, { name, role, environments, createdBy: 'tests' });
  return token;
}
