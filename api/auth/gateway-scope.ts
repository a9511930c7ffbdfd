/**
 * Which gateways' connections a token may manage. A gateway's connection serves every environment
 * that uses the gateway (state/gateway-users.ts: the environment's mapped snapshots, and its plans
 * not yet finished), so it is in scope for a token only when the token's patterns match every one
 * of them: prod's gateways are prod's, and a gateway dev and prod share is prod's too.
 *
 * A gateway no environment uses, and no unfinished plan names, is in scope for any admin: nothing
 * runs on it yet. Once a plan for prod that puts a model there is submitted, it is prod's, so a
 * dev-scoped admin cannot replace a connection prod is about to use. What this cannot see is a plan
 * not yet submitted: a connection a dev-scoped admin stored earlier for a gateway nobody used is the
 * one prod's first plan there will find (the listing shows who last stored each connection).
 *
 * Re-sealing every connection at once (`rotate-key`) needs an unscoped token, one whose patterns
 * cover `*`.
 */
import type { StateDb } from '../../db/client.ts';
import { type GatewayUser, gatewayUsers } from '../../state/gateway-users.ts';
import type { Principal } from '../context.ts';
import { forbidden } from '../errors.ts';
import { anyPatternMatches, patternsCover } from './patterns.ts';

/** The gateways a principal may manage the connections of, as the state database stands now. */
export interface GatewayScope {
  /** the environments using `gateway` that the principal's patterns do not match; empty when in scope. */
  outside(gateway: string): GatewayUser[];
  allows(gateway: string): boolean;
  /** throws a 403 naming the gateway, the environments out of reach and the principal's patterns. */
  check(gateway: string): void;
}

/** The principal's gateway scope; only `gateway` is looked up when given. */
export async function gatewayScope(
  db: StateDb,
  principal: Principal,
  gateway?: string,
): Promise<GatewayScope> {
  const users = await gatewayUsers(db, gateway);
  const outside = (name: string) =>
    (users.get(name) ?? []).filter((user) => !anyPatternMatches(principal.environments, user.environment));
  return {
    outside,
    allows: (name) => outside(name).length === 0,
    check(name) {
      const beyond = outside(name);
      if (beyond.length === 0) return;
      throw forbidden(
        `${principal.actor} may act on environments ${principal.environments.join(', ')}, not on ` +
          `${beyond.map(describeUser).join(', ')}, which ${beyond.length === 1 ? 'uses' : 'use'} gateway "${name}": ` +
          'only a token whose patterns match every environment using a gateway may manage its connection',
        {
          gateway: name,
          environments: beyond.map((user) => user.environment),
          allowed: principal.environments,
        },
      );
    },
  };
}

/** Throws a 403 unless every environment using `gateway` matches the principal's patterns. */
export async function checkGatewayScope(db: StateDb, principal: Principal, gateway: string): Promise<void> {
  (await gatewayScope(db, principal, gateway)).check(gateway);
}

/** Throws a 403 unless the principal's patterns cover every environment (`*`), naming `what` it asked. */
export function checkUnscoped(principal: Principal, what: string): void {
  if (patternsCover(principal.environments, ['*'])) return;
  throw forbidden(
    `${principal.actor} may act on environments ${principal.environments.join(', ')}; ${what} needs a token ` +
      'whose environment patterns include *',
    { allowed: principal.environments, needed: ['*'] },
  );
}

/** `prod`, or `prod (plan <id>, queued)` when only an unfinished plan puts the environment there. */
function describeUser(user: GatewayUser): string {
  if (user.mapped || user.plans.length === 0) return `"${user.environment}"`;
  const plans = user.plans.map((plan) => `plan ${plan.id}, ${plan.status}`).join('; ');
  return `"${user.environment}" (${plans})`;
}
