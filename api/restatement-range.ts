/**
 * A restatement's range checked against the models it restates, before the environment workflow is
 * asked: the check of core/validation/range.ts (whole epoch ms within bounds, start before end and
 * before now, within the models' life, on their interval boundaries) over the selected models, or
 * every model the environment runs on a cron without a selection. A range that fails is refused with
 * a 422 naming the field (`restate.start`, `restate.end`) and saying what would be accepted.
 */
import { runsOnSchedule } from '../core/schedule.ts';
import { restatementRangeProblem } from '../core/validation/range.ts';
import type { StateDb } from '../db/client.ts';
import { invalidRange } from './errors.ts';
import { environmentModels } from './views/environment-models.ts';

export async function checkRestatementRange(
  db: StateDb,
  environment: string,
  selected: readonly string[],
  range: { start: number; end: number },
  now: number,
): Promise<void> {
  const all = await environmentModels(db, environment);
  const concerned =
    selected.length > 0
      ? all.filter((model) => selected.includes(model.name))
      : all.filter(({ definition: d }) =>
          runsOnSchedule({
            kind: d.kind.name,
            ...(d.kind.name === 'VIEW' ? { materialized: d.kind.materialized } : {}),
          }),
        );
  const problem = restatementRangeProblem({
    field: 'restate',
    range,
    models: concerned.map(({ name, definition: d }) => ({
      name,
      intervalUnit: d.intervalUnit,
      startMs: d.start.ms,
      ...(d.end ? { endMs: d.end.ms } : {}),
    })),
    selected: selected.length > 0,
    now,
  });
  if (problem) throw invalidRange(problem.message, { field: problem.field });
}
