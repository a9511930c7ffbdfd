/**
 * Which environments use which gateway. An environment uses a gateway when a snapshot its map holds
 * lives there (the gateway stored with the snapshot, which the environment's runs execute on), or
 * when one of its plans that has not finished (pending, queued or applying) puts a model there (the
 * model's own gateway, or the default gateway of the project stored with the plan, as the plan's
 * application resolves it): a plan for prod that introduces a gateway makes it prod's before it is
 * applied. A plan whose stored project cannot be read is never applied, and names no gateway.
 * Gateway names compare lower-cased, as connections store them.
 */
import { asc, eq, inArray, sql } from 'drizzle-orm';
import { gatewayOf } from '../core/plan/requests.ts';
import type { StateDb } from '../db/client.ts';
import { environmentSnapshots, PLAN_STATUSES, type PlanStatus, plans, snapshots } from '../db/schema.ts';
import { readStoredProject } from './plan/stored-project.ts';
import { PLAN_FINAL } from './plans.ts';
import { requireText } from './validate.ts';

/** An environment that uses a gateway, and why. */
export interface GatewayUser {
  environment: string;
  /** true when a snapshot the environment maps lives on the gateway. */
  mapped: boolean;
  /** the environment's unfinished plans that put a model on the gateway, oldest first. */
  plans: Array<{ id: string; status: PlanStatus }>;
}

/** Plan statuses a plan may still be applied from. */
const OPEN_PLAN_STATUSES: PlanStatus[] = PLAN_STATUSES.filter((status) => !PLAN_FINAL.has(status));

/**
 * The environments that use each gateway (gateway → users, by environment name); only `gateway`
 * when given. A gateway no environment uses is absent.
 */
export async function gatewayUsers(db: StateDb, gateway?: string): Promise<Map<string, GatewayUser[]>> {
  const only = gateway === undefined ? undefined : requireText('gateway', gateway).toLowerCase();
  const users = new Map<string, Map<string, GatewayUser>>();
  const userOf = (name: string, environment: string): GatewayUser => {
    const byEnvironment = users.get(name) ?? new Map<string, GatewayUser>();
    users.set(name, byEnvironment);
    const user = byEnvironment.get(environment) ?? { environment, mapped: false, plans: [] };
    byEnvironment.set(environment, user);
    return user;
  };

  const mapped = await db
    .selectDistinct({ environment: environmentSnapshots.environment, gateway: snapshots.gateway })
    .from(environmentSnapshots)
    .innerJoin(snapshots, eq(snapshots.id, environmentSnapshots.snapshotId))
    .where(only === undefined ? undefined : sql`lower(${snapshots.gateway}) = ${only}`);
  for (const row of mapped) userOf(row.gateway.toLowerCase(), row.environment).mapped = true;

  const open = await db
    .select({ id: plans.id, environment: plans.environment, status: plans.status, project: plans.project })
    .from(plans)
    .where(inArray(plans.status, OPEN_PLAN_STATUSES))
    .orderBy(asc(plans.submittedAt), asc(plans.id));
  for (const plan of open) {
    for (const name of planGateways(plan.id, plan.project)) {
      if (only !== undefined && name !== only) continue;
      userOf(name, plan.environment).plans.push({ id: plan.id, status: plan.status });
    }
  }

  const result = new Map<string, GatewayUser[]>();
  for (const name of [...users.keys()].sort()) {
    const byEnvironment = users.get(name)!;
    result.set(
      name,
      [...byEnvironment.keys()].sort().map((environment) => byEnvironment.get(environment)!),
    );
  }
  return result;
}

/** The gateways the models of a plan's stored project run on; none when the project cannot be read. */
function planGateways(planId: string, stored: unknown): Set<string> {
  if (stored === null || stored === undefined) return new Set();
  let project: ReturnType<typeof readStoredProject>;
  try {
    project = readStoredProject(stored, planId);
  } catch {
    return new Set();
  }
  return new Set(project.models.map((model) => gatewayOf(project, model).toLowerCase()));
}
