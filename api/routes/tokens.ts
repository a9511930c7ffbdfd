/**
 * API tokens (admin only): create one (its value is in this reply and nowhere else), list them,
 * revoke one. An admin hands out no more than it holds: a new token's environment patterns must
 * fall within the creator's, and the last active admin token cannot be revoked.
 */
import { createRoute } from '@hono/zod-openapi';
import { audit } from '../audit.ts';
import { requirePermission } from '../auth/authorize.ts';
import { patternsCover } from '../auth/patterns.ts';
import {
  countActiveTokens,
  createApiToken,
  getApiToken,
  listApiTokens,
  revokeApiToken,
  tokenSettingsProblem,
} from '../auth/tokens.ts';
import { badRequest, conflict, forbidden, notFound } from '../errors.ts';
import { router } from '../router.ts';
import { errors, json, jsonBody } from '../schemas/common.ts';
import {
  CreatedTokenSchema,
  CreateTokenBody,
  TokenListQuery,
  TokenListSchema,
  TokenParams,
  TokenSchema,
} from '../schemas/tokens.ts';
import { readTime } from '../time-input.ts';

const create = createRoute({
  method: 'post',
  path: '/tokens',
  tags: ['tokens'],
  summary: 'Create an API token; its value is shown once, in this reply',
  middleware: [requirePermission('manage_tokens')],
  request: { body: jsonBody(CreateTokenBody) },
  responses: { 201: json(CreatedTokenSchema, 'the new token'), ...errors(400, 401, 403, 413, 415) },
});

const list = createRoute({
  method: 'get',
  path: '/tokens',
  tags: ['tokens'],
  summary: 'API tokens, newest first, without their values',
  middleware: [requirePermission('manage_tokens')],
  request: { query: TokenListQuery },
  responses: { 200: json(TokenListSchema, 'tokens'), ...errors(400, 401, 403) },
});

const revoke = createRoute({
  method: 'delete',
  path: '/tokens/{id}',
  tags: ['tokens'],
  summary: 'Revoke an API token; it stops working at once',
  middleware: [requirePermission('manage_tokens')],
  request: { params: TokenParams },
  responses: { 200: json(TokenSchema, 'the revoked token'), ...errors(400, 401, 403, 404, 409) },
});

export function tokenRoutes() {
  return router()
    .openapi(create, async (c) => {
      const { db, now } = c.get('deps');
      const principal = c.get('principal');
      const body = c.req.valid('json');
      const problem = tokenSettingsProblem(body);
      if (problem) throw badRequest(problem);
      if (!patternsCover(principal.environments, body.environments)) {
        throw forbidden(
          `${principal.actor} may hand out tokens only for environments ${principal.environments.join(', ')}; ` +
            `${body.environments.join(', ')} goes beyond them`,
        );
      }
      const expiresAt =
        body.expiresAt === undefined ? null : new Date(readTime('expiresAt', body.expiresAt, now()));
      if (expiresAt && expiresAt.getTime() <= now()) throw badRequest('expiresAt must be in the future');
      const { token, record } = await createApiToken(db, {
        name: body.name,
        role: body.role,
        environments: body.environments,
        createdBy: principal.actor,
        expiresAt,
      });
      await audit(c, {
        action: 'token.create',
        target: record.id,
        details: { name: record.name, role: record.role, environments: record.environments },
      });
      return c.json({ ...record, token }, 201);
    })
    .openapi(list, async (c) => {
      const { db } = c.get('deps');
      const { includeRevoked } = c.req.valid('query');
      return c.json({ items: await listApiTokens(db, { includeRevoked: includeRevoked === 'true' }) }, 200);
    })
    .openapi(revoke, async (c) => {
      const { db, now } = c.get('deps');
      const principal = c.get('principal');
      const { id } = c.req.valid('param');
      const existing = await getApiToken(db, id);
      if (!existing) throw notFound(`unknown token "${id}"`, { token: id });
      if (existing.revokedAt !== null) {
        throw conflict(`token ${id} was already revoked by ${existing.revokedBy} at ${existing.revokedAt}`);
      }
      if (!patternsCover(principal.environments, existing.environments)) {
        throw forbidden(
          `${principal.actor} may not revoke token ${id}: it reaches beyond ${principal.environments.join(', ')}`,
        );
      }
      const at = new Date(now());
      const active = existing.expiresAt === null || Date.parse(existing.expiresAt) > at.getTime();
      if (existing.role === 'admin' && active && (await countActiveTokens(db, at, 'admin')) <= 1) {
        throw conflict(
          `token ${id} is the last active admin token; create another admin token before revoking it`,
        );
      }
      const revoked = await revokeApiToken(db, id, principal.actor, at);
      if (!revoked) throw notFound(`unknown token "${id}"`, { token: id });
      await audit(c, {
        action: 'token.revoke',
        target: id,
        details: { name: revoked.name, role: revoked.role },
      });
      return c.json(revoked, 200);
    });
}
