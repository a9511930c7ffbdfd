/** The artifacts of a run or a plan: the list, and the path of one file. */
import { z } from '@hono/zod-openapi';
import { checkArtifactPath, MAX_ARTIFACT_PATH } from '../../core/artifacts/paths.ts';
import { OpaqueName, Timestamp } from './common.ts';

export const ArtifactSchema = z
  .object({
    path: z.string().openapi({ example: 'compiled/marts.customer_orders/20261125T0000Z_20261126T0000Z.sql' }),
    size: z.number().int().nonnegative().openapi({ description: 'bytes' }),
    lastModified: Timestamp,
    contentType: z.string().openapi({ example: 'application/sql; charset=utf-8' }),
  })
  .openapi('Artifact');

export const ArtifactListSchema = z
  .object({
    kind: z.enum(['run', 'plan']),
    id: z.string(),
    environment: z.string(),
    items: z.array(ArtifactSchema),
  })
  .openapi('ArtifactList');

const ArtifactPath = z
  .string()
  .min(1)
  .max(MAX_ARTIFACT_PATH)
  .superRefine((value, ctx) => {
    try {
      checkArtifactPath(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
    }
  });

export const RunArtifactsParams = z.object({
  id: OpaqueName('id').openapi({
    param: { name: 'id', in: 'path' },
    example: 'sluice-run-prod-20261125T1000Z',
  }),
});

export const PlanArtifactsParams = z.object({
  id: OpaqueName('id').openapi({ param: { name: 'id', in: 'path' } }),
});

const path = ArtifactPath.openapi({
  param: { name: 'path', in: 'path' },
  description: 'the artifact\'s path as the list gives it, its "/" sent as %2F',
  example: 'run_results.json',
});

export const RunArtifactParams = RunArtifactsParams.extend({ path });
export const PlanArtifactParams = PlanArtifactsParams.extend({ path });

/** One artifact's body: JSON (run_results.json, plan.json), SQL (compiled/…), or text (plan.txt). */
export const ArtifactFileContent = {
  'application/json': { schema: z.unknown() },
  'application/sql': { schema: z.string() },
  'text/plain': { schema: z.string() },
};
