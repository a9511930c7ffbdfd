/**
 * What every route handler can reach: the state database, the Temporal client, how requests are
 * authenticated, and who is making the current request.
 */
import type { Client } from '@temporalio/client';
import type { ArtifactStore } from '../artifacts/store.ts';
import type { StateDb } from '../db/client.ts';
import type { ApiRole } from '../db/schema.ts';
import type { EnvironmentOptions } from './environment-commands.ts';

/** `tokens`: every request needs a bearer token; `off`: anyone who can connect acts as admin. */
export type AuthMode = 'tokens' | 'off';

export interface Principal {
  /** how the audit log names whoever made the request. */
  actor: string;
  /** the token's name; `local` when authentication is off. */
  name: string;
  role: ApiRole;
  /** environment name patterns the principal may act on. */
  environments: string[];
  /** the token's id; null when authentication is off. */
  tokenId: string | null;
}

export interface AppDeps {
  db: StateDb;
  client: Client;
  auth: AuthMode;
  /** the current time in epoch ms (tests pin it). */
  now: () => number;
  /** how long a query, signal or update to an environment workflow may take. */
  temporalTimeoutMs: number;
  /** how often the run event stream looks for changes. */
  eventPollMs: number;
  /** options for environment workflows the API starts. */
  environmentOptions: EnvironmentOptions;
  /** where runs and plans left their artifacts; null when this API serves none. */
  artifacts: ArtifactStore | null;
}

export interface AppEnv {
  Variables: {
    deps: AppDeps;
    principal: Principal;
  };
}
