/**
 * The over-scheduled gauges: how many models of each environment are over-scheduled (their recent
 * executions take longer on average than their cron period, core/over-scheduled.ts), and each such
 * model. Both read the same judgement, made once per scrape.
 */
import { Gauge, type Registry } from 'prom-client';
import type { StateDb } from '../../db/client.ts';
import { listEnvironments } from '../../state/environments.ts';
import { isScheduled } from '../views/environment-detail.ts';
import { environmentModels } from '../views/environment-models.ts';
import { overScheduledOf } from '../views/over-scheduled.ts';

interface Found {
  environments: string[];
  models: Array<{ environment: string; model: string; averageMs: number; periodMs: number }>;
}

async function overScheduledEverywhere(db: StateDb, now: number): Promise<Found> {
  const environments = (await listEnvironments(db)).map((e) => e.name);
  const models: Found['models'] = [];
  for (const environment of environments) {
    const scheduled = (await environmentModels(db, environment)).filter(isScheduled);
    for (const [model, o] of await overScheduledOf(db, environment, scheduled, now)) {
      models.push({ environment, model, averageMs: o.averageMs, periodMs: o.periodMs });
    }
  }
  return { environments, models };
}

export function registerOverScheduledGauges(registry: Registry, db: StateDb): void {
  // A scrape collects every metric at once: both gauges share the judgement while it is being made.
  let pending: Promise<Found> | undefined;
  const found = () => {
    pending ??= overScheduledEverywhere(db, Date.now()).finally(() => {
      pending = undefined;
    });
    return pending;
  };
  new Gauge({
    name: 'sluice_over_scheduled_models',
    help: 'Models whose recent executions took longer on average than their cron period, by environment',
    labelNames: ['environment'],
    registers: [registry],
    async collect() {
      const { environments, models } = await found();
      this.reset();
      for (const environment of environments) this.set({ environment }, 0);
      for (const m of models) this.inc({ environment: m.environment });
    },
  });
  new Gauge({
    name: 'sluice_model_over_scheduled_ratio',
    help: 'For each over-scheduled model: the average of its recent execution times over its cron period (above 1)',
    labelNames: ['environment', 'model'],
    registers: [registry],
    async collect() {
      const { models } = await found();
      this.reset();
      for (const m of models)
        this.set({ environment: m.environment, model: m.model }, m.averageMs / m.periodMs);
    },
  });
}
