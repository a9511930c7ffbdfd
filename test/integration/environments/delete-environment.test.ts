/**
 * Deleting an environment on the real stack (dev server, scheduler worker, apply executor, DuckDB):
 * through the API, prod is refused; dev loses its views, schemas, workflow and state while prod and
 * the physical tables stay; who asked is in the audit log; asking again changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentDeletion } from '../../../api/environment-deletion.ts';
import { environmentWorkflowId } from '../../../core/workflow-ids.ts';
import type { Engine } from '../../../engines/engine.ts';
import type { EnginePool } from '../../../engines/pool.ts';
import { listAudit } from '../../../state/audit-log.ts';
import { environmentSnapshotMap, getEnvironment } from '../../../state/environments.ts';
import { activePauses } from '../../../state/pauses.ts';
import { createPlanRecord } from '../../../state/plan/record.ts';
import { getPlan } from '../../../state/plans.ts';
import { getSnapshots } from '../../../state/snapshots.ts';
import { testApp, tokenFor } from '../../api/support/app.ts';
import { waitFor } from '../../support/waiting.ts';
import { createTestProject, NOW, poison, type TestProject } from '../plan/project.ts';
import { type PlanStack, startPlanStack } from '../plan/stack.ts';
import { enginesFor, openState, readRelation } from '../plan/support.ts';

async function schemaExists(engine: Engine, schema: string): Promise<boolean> {
  const n = await engine.queryScalar(
    `SELECT count(*) FROM information_schema.schemata WHERE schema_name = '${schema}'`,
  );
  return Number(n) > 0;
}

/** A deletion, or the API's error shape. */
type Reply = EnvironmentDeletion & { error: { message: string } };

describe('deleting an environment', { timeout: 180_000 }, () => {
  let state: Awaited<ReturnType<typeof openState>>;
  let project: TestProject;
  let engines: EnginePool;
  let engine: Engine;
  let stack: PlanStack;
  let app: ReturnType<typeof testApp>;
  let deployer: string;

  beforeAll(async () => {
    state = await openState('pglite', 'delete_environment');
    project = createTestProject();
    engines = enginesFor(project.load());
    engine = engines.get('local');
    await poison(engine, []);
    stack = await startPlanStack({ db: state.db, project: project.load() });
    app = testApp({ db: state.db, client: stack.temporal.client, temporalTimeoutMs: 10_000 });
    deployer = await tokenFor(state.db, 'deployer', ['dev', 'prod'], 'ci');
    await stack.planAndApply({ project: project.load(), environment: 'prod', now: NOW });
    await stack.planAndApply({ project: project.load(), environment: 'dev', now: NOW });
  });

  afterAll(async () => {
    await stack?.stop();
    await engines?.closeAll();
    project?.dispose();
    await state?.dispose();
  });

  const call = async (method: string, path: string) => {
    const response = await app.request(path, { method, headers: { authorization: `Bearer ${deployer}` } });
    return { status: response.status, body: (await response.json()) as Reply };
  };

  const deleted = async (env: string) => {
    const started = await call('DELETE', `/api/environments/${env}`);
    expect(started.status, JSON.stringify(started.body)).toBe(202);
    return waitFor(
      `the deletion of ${env} to end`,
      async () => {
        const { body } = await call('GET', `/api/environments/${env}/deletion`);
        return body.status === 'RUNNING' ? undefined : body;
      },
      60_000,
    );
  };

  it('refuses prod, and leaves it whole', async () => {
    const refused = await call('DELETE', '/api/environments/prod');
    expect(refused.status).toBe(400);
    expect(refused.body.error.message).toBe('the prod environment cannot be deleted');
    expect(await getEnvironment(state.db, 'prod')).not.toBeNull();
  });

  it("drops dev's views and schemas, stops its workflow, removes its state and records who asked", async () => {
    const devMap = await environmentSnapshotMap(state.db, 'dev');
    expect((await readRelation(engine, 'mart__dev', 'totals')).rows.length).toBe(1);
    // a plan waiting for review in dev, and dev's pause (the test stack pauses every environment)
    project.write('models/extra.sql', 'MODEL (name mart.extra, kind FULL);\nSELECT 1 AS one\n');
    const waiting = await createPlanRecord({
      db: state.db,
      project: project.load(),
      environment: 'dev',
      submittedBy: 'tests',
      now: NOW,
    });
    expect(await activePauses(state.db, { environment: 'dev' })).toHaveLength(1);

    const deletion = await deleted('dev');
    expect(deletion.status).toBe('COMPLETED');
    expect(deletion.result).toMatchObject({
      environment: 'dev',
      removed: true,
      plans: [waiting.planId],
      keptSchemas: [],
    });
    expect(await getPlan(state.db, waiting.planId)).toMatchObject({
      status: 'cancelled',
      error: 'environment dev is being deleted',
    });
    expect(await activePauses(state.db, { environment: 'dev' })).toEqual([]);
    expect([...(deletion.result?.schemas ?? [])].sort()).toEqual(['mart__dev', 'src__dev']);

    expect(await getEnvironment(state.db, 'dev')).toBeNull();
    expect(await environmentSnapshotMap(state.db, 'dev')).toEqual({});
    expect(await schemaExists(engine, 'mart__dev')).toBe(false);
    expect(await schemaExists(engine, 'src__dev')).toBe(false);
    const workflow = await stack.temporal.client.workflow.getHandle(environmentWorkflowId('dev')).describe();
    expect(workflow.status.name).toBe('TERMINATED');
    const audit = await listAudit(state.db, { environment: 'dev', action: 'environment.delete' });
    expect(audit.items.map((entry) => entry.actor)).toEqual([expect.stringMatching(/^ci \(/)]);

    // prod, and the snapshots dev mapped, are still there: their tables are the janitor's to drop
    expect((await readRelation(engine, 'mart', 'totals')).rows.length).toBe(1);
    expect(await getSnapshots(state.db, Object.values(devMap))).toHaveLength(Object.keys(devMap).length);
  });

  it('is idempotent: deleting dev again completes with nothing left to remove', async () => {
    const again = await deleted('dev');
    expect(again.status).toBe('COMPLETED');
    expect(again.result).toMatchObject({ removed: false, runs: [], plans: [], schemas: [] });
    expect(await getEnvironment(state.db, 'prod')).not.toBeNull();
  });
});
