/** `config.yaml` texts for the projects tests write: one gateway, daily models from 2024-01-01. */
import { TEST_DATABASE_URL } from './postgres.ts';

const DEFAULTS = (dialect: string) => [
  'model_defaults:',
  `  dialect: ${dialect}`,
  "  start: '2024-01-01'",
  "  cron: '@daily'",
];

/** One PostgreSQL gateway on the test server's `database`. */
export function postgresConfig(gateway: string, database: string): string {
  const url = new URL(TEST_DATABASE_URL);
  return [
    'gateways:',
    `  ${gateway}:`,
    '    connection:',
    '      type: postgres',
    `      host: ${url.hostname}`,
    `      port: ${url.port || '5432'}`,
    `      user: ${decodeURIComponent(url.username || 'postgres')}`,
    `      database: ${database}`,
    `default_gateway: ${gateway}`,
    ...DEFAULTS('postgres'),
    '',
  ].join('\n');
}

/** One DuckDB gateway `local` on `warehouse.duckdb` in the project's folder. */
export function duckdbConfig(): string {
  return [
    'gateways:',
    '  local:',
    '    connection:',
    '      type: duckdb',
    '      database: warehouse.duckdb',
    'default_gateway: local',
    ...DEFAULTS('duckdb'),
    '',
  ].join('\n');
}
