/**
 * The one database-URL validator. The state database is PostgreSQL (`postgres://`, `postgresql://`)
 * or a throw-away in-memory PGlite (`memory://`). A URL may hold a password, so a rejection shows
 * only its scheme.
 */
export const DATABASE_URL_EXPECTATION = 'expected a postgres://, postgresql:// or memory:// URL';

export function isDatabaseUrl(url: string): boolean {
  return /^(postgres(ql)?:\/\/.+|memory:\/\/)$/i.test(url);
}

/** What a rejected URL was, without its credentials: `a mysql: URL`. */
export function describeRejectedUrl(url: string): string {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
  return scheme ? `a ${scheme}: URL` : 'a value that is not a URL';
}
