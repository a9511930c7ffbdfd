/**
 * A restatement's range checked against the models it restates, before the environment workflow is
 * asked: a range that starts at or after now, or that misses a selected model's life (from its
 * start to its end) altogether, would restate nothing, so it is refused with a 400 naming the field
 * and the model. A range reaching past a model's start or now is fine: only the part inside is
 * restated. Without a selection, the range must meet at least one model that runs on a cron.
 */
import { runsOnSchedule } from '../core/schedule.ts';
import type { StateDb } from '../db/client.ts';
import { badRequest } from './errors.ts';
import { environmentModels } from './views/environment-models.ts';

const iso = (ms: number) => new Date(ms).toISOString();

export async function checkRestatementRange(
  db: StateDb,
  environment: string,
  selected: readonly string[],
  range: { start: number; end: number },
  now: number,
): Promise<void> {
  if (range.start >= now) {
    throw badRequest(
      `restate.start (${iso(range.start)}) must be before now (${iso(now)}): nothing after now has run yet`,
      { field: 'restate.start' },
    );
  }
  const all = await environmentModels(db, environment);
  const models =
    selected.length > 0
      ? all.filter((model) => selected.includes(model.name))
      : all.filter(({ definition: d }) =>
          runsOnSchedule({
            kind: d.kind.name,
            ...(d.kind.name === 'VIEW' ? { materialized: d.kind.materialized } : {}),
          }),
        );
  const missed = models.map(({ name, definition }) => {
    if (definition.start.ms >= range.end) {
      return {
        field: 'restate.end',
        message: `restate.end (${iso(range.end)}) must be after the start of ${name} (${iso(definition.start.ms)})`,
      };
    }
    if (definition.end && definition.end.ms <= range.start) {
      return {
        field: 'restate.start',
        message: `restate.start (${iso(range.start)}) must be before the end of ${name} (${iso(definition.end.ms)})`,
      };
    }
    return null;
  });
  const first = missed.find((problem) => problem !== null);
  const refused =
    selected.length > 0 ? first : missed.every((problem) => problem !== null) ? first : undefined;
  if (refused) throw badRequest(refused.message, { field: refused.field });
}
