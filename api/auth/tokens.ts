/**
 * API tokens in the state database. A token is `sluice_` and 32 random bytes (base64url); it is
 * returned once, when created, and only its SHA-256 hash is stored. Revoked tokens stay listed as
 * history and never authenticate again.
 */
import { createHash, randomBytes } from 'node:crypto';
import { and, desc, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import type { StateDb } from '../../db/client.ts';
import { API_ROLES, type ApiRole, apiTokens } from '../../db/schema.ts';
import { patternProblem } from './patterns.ts';

export const TOKEN_PREFIX = 'sluice_';

export interface ApiTokenRecord {
  id: string;
  name: string;
  role: ApiRole;
  environments: string[];
  createdBy: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedBy: string | null;
  revokedAt: string | null;
}

export interface NewApiToken {
  name: string;
  role: ApiRole;
  environments: string[];
  createdBy: string;
  expiresAt?: Date | null;
}

type TokenRow = typeof apiTokens.$inferSelect;

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Why the token's settings are not acceptable, or undefined. */
export function tokenSettingsProblem(input: Pick<NewApiToken, 'name' | 'role' | 'environments'>) {
  if (input.name.trim() === '' || input.name !== input.name.trim()) {
    return 'name must be non-empty text without surrounding spaces';
  }
  if (!(API_ROLES as readonly string[]).includes(input.role)) {
    return `role must be one of ${API_ROLES.join(', ')} (got "${input.role}")`;
  }
  if (input.environments.length === 0)
    return 'environments must name at least one pattern (e.g. "*", "dev_*")';
  for (const pattern of input.environments) {
    const problem = patternProblem(pattern);
    if (problem) return problem;
  }
  return undefined;
}

/** Stores a new token and returns it with its record; the token is not recoverable afterwards. */
export async function createApiToken(
  db: StateDb,
  input: NewApiToken,
): Promise<{ token: string; record: ApiTokenRecord }> {
  const problem = tokenSettingsProblem(input);
  if (problem) throw new Error(problem);
  const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const inserted = await db
    .insert(apiTokens)
    .values({
      id: `tok_${randomBytes(6).toString('hex')}`,
      name: input.name,
      tokenHash: hashToken(token),
      role: input.role,
      environments: [...new Set(input.environments)],
      createdBy: input.createdBy,
      createdAt: new Date(),
      expiresAt: input.expiresAt ?? null,
    })
    .returning();
  return { token, record: toRecord(inserted[0]!) };
}

export async function listApiTokens(
  db: StateDb,
  options: { includeRevoked?: boolean } = {},
): Promise<ApiTokenRecord[]> {
  const rows = await db
    .select()
    .from(apiTokens)
    .where(options.includeRevoked ? undefined : isNull(apiTokens.revokedAt))
    .orderBy(desc(apiTokens.createdAt), desc(apiTokens.id));
  return rows.map(toRecord);
}

export async function getApiToken(db: StateDb, id: string): Promise<ApiTokenRecord | null> {
  const rows = await db.select().from(apiTokens).where(eq(apiTokens.id, id));
  return rows[0] ? toRecord(rows[0]) : null;
}

/** The active token whose value is `token`: not revoked, not expired at `now`. */
export async function findActiveToken(db: StateDb, token: string, now: Date): Promise<ApiTokenRecord | null> {
  const rows = await db
    .select()
    .from(apiTokens)
    .where(and(eq(apiTokens.tokenHash, hashToken(token)), activeAt(now)));
  return rows[0] ? toRecord(rows[0]) : null;
}

/** How many tokens can authenticate at `now`, of any role or of one. */
export async function countActiveTokens(db: StateDb, now: Date, role?: ApiRole): Promise<number> {
  const rows = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(apiTokens)
    .where(and(activeAt(now), role === undefined ? undefined : eq(apiTokens.role, role)));
  return Number(rows[0]?.n ?? 0);
}

/** Revokes the token; null when no such token exists, the stored record when it was already revoked. */
export async function revokeApiToken(
  db: StateDb,
  id: string,
  revokedBy: string,
  at: Date = new Date(),
): Promise<ApiTokenRecord | null> {
  const updated = await db
    .update(apiTokens)
    .set({ revokedBy, revokedAt: at })
    .where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)))
    .returning();
  if (updated[0]) return toRecord(updated[0]);
  return getApiToken(db, id);
}

/** Records that the token was used, at most once per `everyMs`. */
export async function touchApiToken(db: StateDb, id: string, at: Date, everyMs = 60_000): Promise<void> {
  await db
    .update(apiTokens)
    .set({ lastUsedAt: at })
    .where(
      and(
        eq(apiTokens.id, id),
        or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, new Date(at.getTime() - everyMs))),
      ),
    );
}

function activeAt(now: Date) {
  return and(isNull(apiTokens.revokedAt), or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, now)));
}

function toRecord(row: TokenRow): ApiTokenRecord {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    environments: row.environments,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
    revokedBy: row.revokedBy,
    revokedAt: row.revokedAt?.toISOString() ?? null,
  };
}
