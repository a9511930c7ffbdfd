/** Follows a queued plan until it is applied or fails, printing each change of status or progress. */

import { DEFAULT_POLL_MS } from '../config/defaults.ts';
import type { ApiClient, Plan } from './api-client.ts';
import { CliError, EXIT } from './errors.ts';

const FINAL = new Set(['applied', 'failed', 'cancelled', 'rejected', 'terminated']);

export async function followPlan(
  client: ApiClient,
  planId: string,
  options: { intervalMs?: number; write?: (line: string) => void } = {},
): Promise<Plan> {
  const plan = await waitForPlan(client, planId, options);
  if (plan.status !== 'applied') {
    throw new CliError(
      `plan ${planId} ${plan.status}${plan.error ? `: ${plan.error}` : ''}; fix the cause and plan again`,
      EXIT.failed,
    );
  }
  return plan;
}

/** Follows a plan until it ends, however it ends, and returns it. */
export async function waitForPlan(
  client: ApiClient,
  planId: string,
  options: { intervalMs?: number; write?: (line: string) => void } = {},
): Promise<Plan> {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const interval = options.intervalMs ?? DEFAULT_POLL_MS;
  let last = '';
  for (;;) {
    const plan = await client.plan(planId);
    const line = describe(plan);
    if (line !== last) {
      write(line);
      last = line;
    }
    if (FINAL.has(plan.status)) return plan;
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

function describe(plan: Plan): string {
  const parts = [`plan ${plan.id}: ${plan.status}`];
  if (plan.queuePosition !== null && plan.status === 'queued') parts.push(`(position ${plan.queuePosition})`);
  const progress = plan.progress;
  if (progress !== null && typeof progress === 'object' && !Array.isArray(progress)) {
    const fields = Object.entries(progress as Record<string, unknown>)
      .filter(([, value]) => value !== null && typeof value !== 'object')
      .map(([key, value]) => `${key}=${String(value)}`);
    if (fields.length > 0) parts.push(`- ${fields.join(' ')}`);
  }
  return parts.join(' ');
}
