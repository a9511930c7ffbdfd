/**
 * Whether a server may start, and with authentication on or off. A server bound only to loopback may
 * run without authentication (and says so); a server reachable from elsewhere needs API tokens and
 * refuses to start without any.
 */
import { isIP } from 'node:net';
import type { AuthMode } from '../context.ts';

export class StartupRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupRefused';
  }
}

export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  if (isIP(bare) === 6) return bare === '::1' || bare === '0:0:0:0:0:0:0:1';
  return false;
}

export interface AuthDecision {
  mode: AuthMode;
  /** one line for the start-up log saying how requests are authenticated. */
  notice: string;
}

export function decideAuth(args: {
  host: string;
  port: number;
  activeTokens: number;
  /** what the operator asked for; undefined lets the server decide. */
  requested?: AuthMode;
}): AuthDecision {
  const where = `${args.host}:${args.port}`;
  const loopback = isLoopbackHost(args.host);
  const bootstrap =
    'start `sluice api` on 127.0.0.1, create an admin token with `sluice token create --name admin --role admin`, ' +
    'then start it on this address again';
  if (args.requested === 'off') {
    if (!loopback) {
      throw new StartupRefused(
        `refusing to start on ${where} with authentication off: only a loopback address (127.0.0.1, ::1) may run without tokens`,
      );
    }
    return { mode: 'off', notice: offNotice(where) };
  }
  if (args.activeTokens > 0) {
    return {
      mode: 'tokens',
      notice: `authentication is on: requests need "Authorization: Bearer <token>" (${args.activeTokens} active token${args.activeTokens === 1 ? '' : 's'})`,
    };
  }
  if (!loopback) {
    throw new StartupRefused(
      `refusing to start on ${where}: no API tokens exist, so anyone who can reach it could change every environment; ${bootstrap}`,
    );
  }
  if (args.requested === 'tokens') {
    throw new StartupRefused(
      `authentication was asked for on ${where} but no API tokens exist; ${bootstrap}`,
    );
  }
  return { mode: 'off', notice: offNotice(where) };
}

function offNotice(where: string): string {
  return (
    `authentication is off: the server listens on loopback only (${where}) and every local caller acts as admin; ` +
    'create a token with `sluice token create` to turn it on at the next start'
  );
}
