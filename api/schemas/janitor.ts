/** The janitor: a pass run now (or its dry run), and the history of the tables it dropped. */
import { z } from '@hono/zod-openapi';
import { PageQuery, pageOf, Timestamp } from './common.ts';

export const JanitorRunBody = z
  .object({
    dryRun: z.boolean().optional().openapi({ description: 'only say what the pass would delete and drop' }),
  })
  .openapi('JanitorRunRequest');

const DroppedTable = z.object({
  snapshotId: z.string(),
  gateway: z.string(),
  physicalTable: z.string().nullable(),
});

export const JanitorRunSchema = z
  .object({
    workflowId: z.string(),
    dryRun: z.boolean(),
    environments: z
      .array(z.string())
      .openapi({ description: 'expired environments deleted (or that would be)' }),
    dropped: z
      .array(DroppedTable)
      .openapi({ description: 'tables dropped (or that would be), readers first' }),
    kept: z.array(z.object({ snapshotId: z.string(), reason: z.string() })),
    failures: z.array(z.object({ target: z.string(), error: z.string() })),
    storedPayloads: z
      .object({
        before: Timestamp.nullable().openapi({
          description: 'payloads last stored before this instant went; null when Temporal could not be asked',
        }),
        payloads: z.number().int(),
        bytes: z.number().int(),
      })
      .optional()
      .openapi({
        description:
          'Temporal payloads kept in the state database that no history names any more, deleted (or that would be)',
      }),
  })
  .openapi('JanitorRun');

export const JanitorDropSchema = DroppedTable.extend({
  status: z.enum(['dropping', 'dropped']).openapi({
    description: '`dropping`: recorded before the drop, not finished yet; `dropped`: done',
  }),
  decidedBy: z.string(),
  decidedAt: Timestamp,
  executor: z.string().nullable(),
  droppedAt: Timestamp.nullable(),
}).openapi('JanitorDrop');

export const JanitorDropPageSchema = pageOf(JanitorDropSchema, 'JanitorDropPage');

export const JanitorDropQuery = z.object({ ...PageQuery });
