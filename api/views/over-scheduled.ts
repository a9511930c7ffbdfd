/** Which of an environment's models are over-scheduled (core/over-scheduled.ts), as the API shows them. */
import type { StateDb } from '../../db/client.ts';
import { overScheduledModels } from '../../state/over-scheduled.ts';
import type { OverScheduledView } from '../schemas/environments.ts';
import type { EnvironmentModel } from './environment-models.ts';

/** The over-scheduled models among `models` (those on a cron) of `environment` at `now`, by name. */
export async function overScheduledOf(
  db: StateDb,
  environment: string,
  models: readonly EnvironmentModel[],
  now: number,
): Promise<Map<string, OverScheduledView>> {
  const crons = models.map((m) => ({ name: m.name, cron: m.definition.cron, cronTz: m.definition.cronTz }));
  const found = await overScheduledModels(db, environment, crons, now);
  return new Map(
    [...found].map(([name, o]) => [
      name,
      { executions: o.executions, averageMs: o.averageMs, periodMs: o.periodMs, message: o.message },
    ]),
  );
}
