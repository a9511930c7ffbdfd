/**
 * How far back a pull request's environment backfills, the way SQLMesh's CI/CD bot bounds its
 * development backfills (`default_pr_start`): the last `backfill_days` whole UTC days before today
 * and today so far. The range starts at midnight UTC, so it is the same whenever in the day the
 * pull request is planned, and ends at the plan's execution time (no end: every interval ready by
 * then). Unchanged models are not backfilled at all: the environment shares prod's tables.
 */

const DAY_MS = 86_400_000;

/** `backfill_days` when the project's `sluice: ci:` does not set it. */
export const DEFAULT_CI_BACKFILL_DAYS = 3;

/** The start (epoch ms, inclusive) of a pull request environment's backfill planned at `now`. */
export function ciBackfillStart(now: number, backfillDays: number = DEFAULT_CI_BACKFILL_DAYS): number {
  if (!Number.isInteger(backfillDays) || backfillDays < 1) {
    throw new RangeError(`backfill days must be a whole number from 1 (got ${backfillDays})`);
  }
  return Math.floor(now / DAY_MS) * DAY_MS - backfillDays * DAY_MS;
}
