import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../core/project/config.ts';
import type { Env } from '../../../core/project/env-overrides.ts';
import { Issues } from '../../../core/project/issues.ts';
import { formatIssue } from '../../../core/project/types.ts';

const NOW = Date.parse('2025-06-15T10:00:00Z');
const BASE = `gateways:
  local:
    connection:
      type: duckdb
model_defaults:
  dialect: duckdb
`;

function read(text: string, env: Env = {}) {
  const issues = new Issues();
  const config = parseConfig(text, 'config.yaml', env, NOW, issues);
  return { config, errors: issues.errors.map(formatIssue), notices: issues.notices };
}

describe("config.yaml's sluice: section", () => {
  it('reads ci.backfill_days', () => {
    const { config, errors, notices } = read(`${BASE}sluice:\n  ci:\n    backfill_days: 5\n`);
    expect(errors).toEqual([]);
    expect(notices).toEqual([]);
    expect(config?.ci).toEqual({ backfillDays: 5 });
  });

  it('leaves ci out when the project does not set it', () => {
    expect(read(BASE).config?.ci).toBeUndefined();
    expect(read(`${BASE}sluice:\n  ci: {}\n`).config?.ci).toBeUndefined();
  });

  it('takes backfill_days from an environment override', () => {
    const { config, errors } = read(BASE, { SLUICE__SLUICE__CI__BACKFILL_DAYS: '2' });
    expect(errors).toEqual([]);
    expect(config?.ci).toEqual({ backfillDays: 2 });
  });

  it('refuses a bad value or an unknown key at its line', () => {
    for (const value of ['0', '1.5', 'three', '367']) {
      const { config, errors } = read(`${BASE}sluice:\n  ci:\n    backfill_days: ${value}\n`);
      expect(errors, value).toEqual([
        `config.yaml:9: sluice.ci.backfill_days must be a whole number of days from 1 to 366 (${value})`,
      ]);
      expect(config?.ci).toBeUndefined();
    }
    expect(read(`${BASE}sluice:\n  ci:\n    backfil_days: 3\n`).errors).toEqual([
      'config.yaml:9: unknown key sluice.ci.backfil_days (sluice.ci reads backfill_days)',
    ]);
    expect(read(`${BASE}sluice:\n  cd: {}\n`).errors).toEqual([
      'config.yaml:8: unknown key sluice.cd (sluice reads ci, environment_ttl)',
    ]);
    expect(read(`${BASE}sluice: 3\n`).errors[0]).toContain('config.yaml:7: sluice must be a mapping');
    expect(read(`${BASE}sluice:\n  ci: 3\n`).errors[0]).toContain(
      'config.yaml:8: sluice.ci must be a mapping',
    );
  });
});
