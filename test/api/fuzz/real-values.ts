/**
 * Real values for path parameters and body fields, read from the API itself as an unscoped admin:
 * environments, their models, runs and their executions, plans (from the audit log and the runs
 * that applied them), tokens and gateways. The fuzzer's own tokens are left out, so it never revokes
 * the tokens it sends.
 */

export interface RealValues {
  environments: string[];
  models: string[];
  runs: string[];
  /** `[run id, execution id]`. */
  executions: Array<[string, string]>;
  plans: string[];
  tokens: string[];
  connections: string[];
}

export type AdminGet = (path: string) => Promise<unknown>;

export function emptyValues(): RealValues {
  return { environments: [], models: [], runs: [], executions: [], plans: [], tokens: [], connections: [] };
}

type Items = { items?: Array<Record<string, unknown>> };

/** Refreshes `values` in place (the arbitraries hold on to it). */
export async function readRealValues(get: AdminGet, values: RealValues, ownTokens: ReadonlySet<string>) {
  const environments = ((await get('/api/environments')) as Items).items ?? [];
  const names = environments.map((e) => String(e.name));
  const models = new Set<string>();
  for (const name of names) {
    const detail = (await get(`/api/environments/${encodeURIComponent(name)}`)) as {
      models?: Array<{ name: string }>;
    };
    for (const model of detail.models ?? []) models.add(model.name);
  }
  const runItems = ((await get('/api/runs?limit=20')) as Items).items ?? [];
  const runs = runItems.map((r) => String(r.id));
  const executions: Array<[string, string]> = [];
  for (const run of runs.slice(0, 3)) {
    const detail = (await get(`/api/runs/${encodeURIComponent(run)}`)) as {
      executions?: Array<{ id: string }>;
    };
    for (const execution of detail.executions ?? []) executions.push([run, execution.id]);
  }
  const planEntries = ((await get('/api/audit?action=plan.create&limit=20')) as Items).items ?? [];
  const plans = new Set([
    ...planEntries.map((e) => String(e.target)),
    ...runItems.flatMap((r) => (typeof r.planId === 'string' ? [r.planId] : [])),
  ]);
  const tokens = (((await get('/api/tokens?includeRevoked=true')) as Items).items ?? [])
    .map((t) => String(t.id))
    .filter((id) => !ownTokens.has(id));
  const connections = (((await get('/api/connections')) as Items).items ?? []).map((c) => String(c.gateway));
  Object.assign(values, {
    environments: names,
    models: [...models].sort(),
    runs,
    executions,
    plans: [...plans],
    tokens,
    connections,
  } satisfies RealValues);
}
