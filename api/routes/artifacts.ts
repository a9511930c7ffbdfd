/**
 * The artifacts a run or a plan left (activities/scheduler/artifacts.ts): the list, and each file
 * with its content type. A run's are under `/runs/{id}/artifacts`, a plan's (its summary and its
 * backfill's results) under `/plans/{id}/artifacts`. Only a token whose environment patterns match
 * the run's or plan's environment reads them. Paths are checked (core/artifacts/paths.ts) before
 * the store is asked: one that could leave the run's folder is a 400.
 */
import { createRoute } from '@hono/zod-openapi';
import type { ArtifactStore } from '../../artifacts/store.ts';
import { type ArtifactOwner, artifactContentType, ownerPrefix } from '../../core/artifacts/paths.ts';
import { getPlan } from '../../state/plans.ts';
import { getRun } from '../../state/runs.ts';
import { checkEnvironment, requirePermission } from '../auth/authorize.ts';
import type { AppDeps, Principal } from '../context.ts';
import { notFound } from '../errors.ts';
import { router } from '../router.ts';
import {
  ArtifactFileContent,
  ArtifactListSchema,
  PlanArtifactParams,
  PlanArtifactsParams,
  RunArtifactParams,
  RunArtifactsParams,
} from '../schemas/artifacts.ts';
import { errors, json } from '../schemas/common.ts';

const runList = createRoute({
  method: 'get',
  path: '/runs/{id}/artifacts',
  tags: ['artifacts'],
  summary: "A run's artifacts: run_results.json and the SQL of every batch",
  middleware: [requirePermission('read')],
  request: { params: RunArtifactsParams },
  responses: { 200: json(ArtifactListSchema, 'the artifacts'), ...errors(400, 401, 403, 404) },
});

const runFile = createRoute({
  method: 'get',
  path: '/runs/{id}/artifacts/{path}',
  tags: ['artifacts'],
  summary: "One of a run's artifacts",
  middleware: [requirePermission('read')],
  request: { params: RunArtifactParams },
  responses: {
    200: { description: 'the artifact, with its content type', content: ArtifactFileContent },
    ...errors(400, 401, 403, 404),
  },
});

const planList = createRoute({
  method: 'get',
  path: '/plans/{id}/artifacts',
  tags: ['artifacts'],
  summary: "A plan's artifacts: its summary (plan.txt, plan.json), its backfill's run_results.json and SQL",
  middleware: [requirePermission('read')],
  request: { params: PlanArtifactsParams },
  responses: { 200: json(ArtifactListSchema, 'the artifacts'), ...errors(400, 401, 403, 404) },
});

const planFile = createRoute({
  method: 'get',
  path: '/plans/{id}/artifacts/{path}',
  tags: ['artifacts'],
  summary: "One of a plan's artifacts",
  middleware: [requirePermission('read')],
  request: { params: PlanArtifactParams },
  responses: {
    200: { description: 'the artifact, with its content type', content: ArtifactFileContent },
    ...errors(400, 401, 403, 404),
  },
});

/** The store, and the environment of the run or plan, once the principal may read it. */
async function readable(deps: AppDeps, principal: Principal, owner: ArtifactOwner) {
  const record = owner.kind === 'run' ? await getRun(deps.db, owner.id) : await getPlan(deps.db, owner.id);
  if (!record) throw notFound(`unknown ${owner.kind} "${owner.id}"`);
  checkEnvironment(principal, record.environment);
  if (!deps.artifacts) throw notFound('this API keeps no artifacts (SLUICE_ARTIFACTS)');
  return { store: deps.artifacts, environment: record.environment };
}

async function listOf(store: ArtifactStore, owner: ArtifactOwner, environment: string) {
  const prefix = ownerPrefix(owner);
  const items = (await store.list(prefix)).map((artifact) => {
    const path = artifact.key.slice(prefix.length);
    return {
      path,
      size: artifact.size,
      lastModified: new Date(artifact.lastModified).toISOString(),
      contentType: artifactContentType(path),
    };
  });
  return { kind: owner.kind, id: owner.id, environment, items };
}

async function fileOf(store: ArtifactStore, owner: ArtifactOwner, path: string) {
  const body = await store.get(`${ownerPrefix(owner)}${path}`);
  if (!body) throw notFound(`${owner.kind} "${owner.id}" has no artifact "${path}"`);
  return body;
}

export function artifactRoutes() {
  return router()
    .openapi(runList, async (c) => {
      const owner: ArtifactOwner = { kind: 'run', id: c.req.valid('param').id };
      const { store, environment } = await readable(c.get('deps'), c.get('principal'), owner);
      return c.json(await listOf(store, owner, environment), 200);
    })
    .openapi(runFile, async (c) => {
      const { id, path } = c.req.valid('param');
      const owner: ArtifactOwner = { kind: 'run', id };
      const { store } = await readable(c.get('deps'), c.get('principal'), owner);
      const body = await fileOf(store, owner, path);
      return c.body(body as Uint8Array<ArrayBuffer>, 200, {
        'Content-Type': artifactContentType(path),
      }) as never;
    })
    .openapi(planList, async (c) => {
      const owner: ArtifactOwner = { kind: 'plan', id: c.req.valid('param').id };
      const { store, environment } = await readable(c.get('deps'), c.get('principal'), owner);
      return c.json(await listOf(store, owner, environment), 200);
    })
    .openapi(planFile, async (c) => {
      const { id, path } = c.req.valid('param');
      const owner: ArtifactOwner = { kind: 'plan', id };
      const { store } = await readable(c.get('deps'), c.get('principal'), owner);
      const body = await fileOf(store, owner, path);
      return c.body(body as Uint8Array<ArrayBuffer>, 200, {
        'Content-Type': artifactContentType(path),
      }) as never;
    });
}
