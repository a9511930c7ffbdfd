/**
 * Who the fuzzer sends requests as: a token of every role for every scope (`*`, `prod`, `dev*`),
 * no token, and a token that does not exist. The tokens are made with the production token store.
 */
import { createApiToken } from '../../../api/auth/tokens.ts';
import type { StateDb } from '../../../db/client.ts';
import { API_ROLES, type ApiRole } from '../../../db/schema.ts';

export const SCOPES: readonly string[][] = [['*'], ['prod'], ['dev*']];

export interface FuzzPrincipal {
  label: string;
  /** the bearer token; undefined for no Authorization header. */
  token: string | undefined;
  /** the role of a real token; undefined for no token or a bogus one. */
  role: ApiRole | undefined;
  environments: string[];
  tokenId: string | undefined;
}

export async function createPrincipals(db: StateDb): Promise<FuzzPrincipal[]> {
  const principals: FuzzPrincipal[] = [];
  for (const role of API_ROLES) {
    for (const environments of SCOPES) {
      const label = `${role}@${environments.join(',')}`;
      const { token, record } = await createApiToken(db, {
        name: `fuzz ${label}`,
        role,
        environments,
        createdBy: 'api fuzzer',
      });
      principals.push({ label, token, role, environments, tokenId: record.id });
    }
  }
  principals.push({
    label: 'no token',
    token: undefined,
    role: undefined,
    environments: [],
    tokenId: undefined,
  });
  principals.push({
    label: 'bogus token',
    token: 'sluice_bogus0000000000000000000000000000000000',
    role: undefined,
    environments: [],
    tokenId: undefined,
  });
  return principals;
}
