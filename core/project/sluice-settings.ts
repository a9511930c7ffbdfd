/**
 * The `sluice:` section of `config.yaml`: settings SQLMesh does not have, for sluice alone. Today it
 * holds `ci:` with `backfill_days`, how many whole UTC days before today a pull request's
 * environment backfills (`sluice ci plan`; see core/ci/backfill-range.ts). Every problem is
 * reported at the line (or variable) that set it; unknown keys are errors, so a typo is not
 * silently ignored.
 */
import type { ConfigValue, Locate } from './gateways.ts';
import { isTree } from './gateways.ts';
import type { Issues } from './issues.ts';
import type { CiSettings } from './types.ts';

/** The most days a pull request's environment may backfill: a CI environment is a recent sample. */
export const MAX_CI_BACKFILL_DAYS = 366;

const SLUICE_KEYS = ['ci'];
const CI_KEYS = ['backfill_days'];

/** Reads the `sluice` section; undefined when it says nothing about CI. */
export function readSluiceSettings(
  value: ConfigValue | undefined,
  locate: Locate,
  issues: Issues,
): { ci?: CiSettings } {
  const at = (path: string[], message: string, text?: string) => {
    const where = locate(path);
    issues.error(where.file, where.line, message, text);
  };
  if (value === undefined || value === null) return {};
  if (!isTree(value)) {
    at(['sluice'], 'sluice must be a mapping (for example sluice: { ci: { backfill_days: 3 } })');
    return {};
  }
  for (const key of Object.keys(value)) {
    if (!SLUICE_KEYS.includes(key)) {
      at(['sluice', key], `unknown key 'sluice.${key}' (known: ${SLUICE_KEYS.join(', ')})`);
    }
  }
  const ci = value.ci;
  if (ci === undefined || ci === null) return {};
  if (!isTree(ci)) {
    at(['sluice', 'ci'], 'sluice.ci must be a mapping (for example ci: { backfill_days: 3 })');
    return {};
  }
  for (const key of Object.keys(ci)) {
    if (!CI_KEYS.includes(key)) {
      at(['sluice', 'ci', key], `unknown key 'sluice.ci.${key}' (known: ${CI_KEYS.join(', ')})`);
    }
  }
  const days = ci.backfill_days;
  if (days === undefined || days === null) return {};
  // environment variables arrive as text
  const n = typeof days === 'string' && /^\d+$/.test(days.trim()) ? Number(days) : days;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_CI_BACKFILL_DAYS) {
    at(
      ['sluice', 'ci', 'backfill_days'],
      `sluice.ci.backfill_days must be a whole number of days from 1 to ${MAX_CI_BACKFILL_DAYS}`,
      String(days),
    );
    return {};
  }
  return { ci: { backfillDays: n } };
}
