import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configurationTable, README, TABLE_END, TABLE_START } from '../../../config/readme-table.ts';
import { PATTERNS, VARIABLES } from '../../../config/variables.ts';

describe("the README's configuration table", () => {
  it('is the one config/variables.ts makes', () => {
    const readme = readFileSync(README, 'utf8');
    const start = readme.indexOf(TABLE_START);
    const end = readme.indexOf(TABLE_END);
    expect(start, `README.md needs the markers ${TABLE_START} and ${TABLE_END}`).toBeGreaterThan(0);
    const table = readme.slice(start + TABLE_START.length + 1, end);
    expect(
      table,
      'the README configuration table differs from config/variables.ts; run `npx tsx config/readme-table.ts --write`',
    ).toBe(configurationTable());
  });

  it('has one row per variable, each with who reads it and what it means', () => {
    const rows = configurationTable().trimEnd().split('\n').slice(2);
    expect(rows).toHaveLength(Object.keys(VARIABLES).length + PATTERNS.length);
    for (const name of [
      'TEMPORAL_TLS_SERVER_NAME',
      'SLUICE_POLL_MS',
      'SLUICE_SETUP_WAIT',
      'SLUICE_BOOTSTRAP_PORT',
    ]) {
      expect(rows.some((row) => row.startsWith(`| \`${name}\` | `))).toBe(true);
    }
  });
});
