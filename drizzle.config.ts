import { defineConfig } from 'drizzle-kit';

/**
 * drizzle-kit reads this to generate the numbered migrations in `db/migrations/` from
 * `db/schema.ts` (`npx drizzle-kit generate --name <what changed>`). The migrations table settings
 * match the ones `db/migrate.ts` applies at start.
 */
export default defineConfig({
  dialect: 'postgresql',
  schema: './db/schema.ts',
  out: './db/migrations',
  schemaFilter: ['sluice'],
  migrations: { schema: 'drizzle', table: '__sluice_migrations' },
  strict: true,
  verbose: true,
  ...(process.env.SLUICE_DATABASE_URL ? { dbCredentials: { url: process.env.SLUICE_DATABASE_URL } } : {}),
});
