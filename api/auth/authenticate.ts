/**
 * Who is making the request. With authentication on, every request carries
 * `Authorization: Bearer <token>` naming an active API token; with it off (a server bound only to
 * loopback), the caller acts as a local admin. A route open to anyone that shows more to a token
 * holder (the health report) authenticates optionally: no header, no principal.
 */
import type { MiddlewareHandler } from 'hono';
import type { AppEnv, Principal } from '../context.ts';
import { ApiError } from '../errors.ts';
import { findActiveToken, touchApiToken } from './tokens.ts';

export const LOCAL_PRINCIPAL: Principal = {
  actor: 'local',
  name: 'local',
  role: 'admin',
  environments: ['*'],
  tokenId: null,
};

const BEARER = /^Bearer[ ]+([^\s]+)\s*$/i;

/** The token of an `Authorization: Bearer <token>` header; a 401 for any other form. */
export function bearerToken(header: string): string {
  const token = BEARER.exec(header)?.[1];
  if (!token) throw unauthorized('Authorization header must be "Bearer <token>"');
  return token;
}

export interface AuthenticateOptions {
  /** a request without an Authorization header goes on with no principal instead of a 401. */
  optional?: boolean;
  /** the 401 message for a token that is not an active API token. */
  invalidMessage?: string;
}

export function authenticate(options: AuthenticateOptions = {}): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const deps = c.get('deps');
    if (deps.auth === 'off') {
      c.set('principal', LOCAL_PRINCIPAL);
      await next();
      return;
    }
    const header = c.req.header('authorization');
    if (!header) {
      if (options.optional) {
        await next();
        return;
      }
      throw unauthorized(
        'missing Authorization header: send "Authorization: Bearer <token>" (set SLUICE_TOKEN for the CLI)',
      );
    }
    const token = bearerToken(header);
    const now = new Date(deps.now());
    const record = await findActiveToken(deps.db, token, now);
    if (!record) {
      throw unauthorized(
        options.invalidMessage ??
          'API token is not valid: it is unknown, revoked or expired; ask an admin for a new one',
      );
    }
    c.set('principal', {
      actor: `${record.name} (${record.id})`,
      name: record.name,
      role: record.role,
      environments: record.environments,
      tokenId: record.id,
    });
    await next();
    if (c.res.status < 400) {
      await touchApiToken(deps.db, record.id, now).catch(() => {});
    }
  };
}

export function unauthorized(message: string): ApiError {
  return new ApiError(401, 'unauthorized', message);
}
