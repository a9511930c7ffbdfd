/**
 * The `sluice:` section of `config.yaml`: settings SQLMesh does not have, for sluice alone:
 * `environment_ttl`, how long a non-prod environment lives after each plan applied to it
 * (core/environment/ttl.ts), and `ci:` with `backfill_days`, how many whole UTC days before today
 * a pull request's environment backfills (`sluice ci plan`; see core/ci/backfill-range.ts). Every problem is
 * reported at the line (or variable) that set it; unknown keys are errors, so a typo is not
 * silently ignored.
 */
import { parseTtl, TtlError } from '../environment/ttl.ts';
import type { ConfigValue, Locate } from './gateways.ts';
import { isTree } from './gateways.ts';
import type { Issues } from './issues.ts';
import type { CiSettings } from './types.ts';

/** The most days a pull request's environment may backfill: a CI environment is a recent sample. */
export const MAX_CI_BACKFILL_DAYS = 366;

const SLUICE_KEYS = ['ci', 'environment_ttl'];
const CI_KEYS = ['backfill_days'];

/** Reads the `sluice` section; undefined when it says nothing about CI. */
export function readSluiceSettings(
  value: ConfigValue | undefined,
  locate: Locate,
  issues: Issues,
): { ci?: CiSettings; environmentTtlMs?: number } {
  const at = (path: string[], message: string, text?: string) => {
    const where = locate(path);
    issues.error(where.file, where.line, message, text);
  };
  if (value === undefined || value === null) return {};
  if (!isTree(value)) {
    at(
      ['sluice'],
      'sluice must be a mapping (for example sluice: { environment_ttl: 7d, ci: { backfill_days: 3 } })',
    );
    return {};
  }
  for (const key of Object.keys(value)) {
    if (!SLUICE_KEYS.includes(key)) {
      at(['sluice', key], `unknown key sluice.${key} (sluice reads ${SLUICE_KEYS.join(', ')})`);
    }
  }
  const environmentTtlMs = readEnvironmentTtl(value.environment_ttl, locate, issues);
  const ci = readCi(value.ci, locate, issues);
  return {
    ...(ci === undefined ? {} : { ci }),
    ...(environmentTtlMs === undefined ? {} : { environmentTtlMs }),
  };
}

function readEnvironmentTtl(
  value: ConfigValue | undefined,
  locate: Locate,
  issues: Issues,
): number | undefined {
  if (value === undefined || value === null) return undefined;
  try {
    return parseTtl(String(value), 'sluice.environment_ttl');
  } catch (error) {
    if (!(error instanceof TtlError)) throw error;
    const where = locate(['sluice', 'environment_ttl']);
    issues.error(where.file, where.line, error.message, String(value));
    return undefined;
  }
}

function readCi(ci: ConfigValue | undefined, locate: Locate, issues: Issues): CiSettings | undefined {
  const at = (path: string[], message: string, text?: string) => {
    const where = locate(path);
    issues.error(where.file, where.line, message, text);
  };
  if (ci === undefined || ci === null) return undefined;
  if (!isTree(ci)) {
    at(['sluice', 'ci'], 'sluice.ci must be a mapping (for example ci: { backfill_days: 3 })');
    return undefined;
  }
  for (const key of Object.keys(ci)) {
    if (!CI_KEYS.includes(key)) {
      at(['sluice', 'ci', key], `unknown key sluice.ci.${key} (sluice.ci reads ${CI_KEYS.join(', ')})`);
    }
  }
  const days = ci.backfill_days;
  if (days === undefined || days === null) return undefined;
  // environment variables arrive as text
  const n = typeof days === 'string' && /^\d+$/.test(days.trim()) ? Number(days) : days;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_CI_BACKFILL_DAYS) {
    at(
      ['sluice', 'ci', 'backfill_days'],
      `sluice.ci.backfill_days must be a whole number of days from 1 to ${MAX_CI_BACKFILL_DAYS}`,
      String(days),
    );
    return undefined;
  }
  return { backfillDays: n };
}
