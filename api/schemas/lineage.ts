/** An environment's lineage: its models and which reads from which, for the dashboard's graph. */
import { z } from '@hono/zod-openapi';

export const LineageNodeSchema = z
  .object({
    name: z.string(),
    kind: z.string(),
    /** the status of the model's latest execution in the environment; null when it never ran. */
    lastStatus: z.string().nullable(),
    /** whether the model itself is paused. */
    paused: z.boolean(),
    /** why a scheduled run leaves the model out now (it, the environment or an upstream model is paused). */
    blockedReason: z.string().nullable(),
  })
  .openapi('LineageNode');

export const LineageSchema = z
  .object({
    environment: z.string(),
    nodes: z.array(LineageNodeSchema).openapi({ description: 'every model of the environment, by name' }),
    edges: z
      .array(z.object({ from: z.string(), to: z.string() }))
      .openapi({ description: '`from` is a model `to` reads from; sorted by `from`, then `to`' }),
  })
  .openapi('Lineage');

export type LineageView = z.infer<typeof LineageSchema>;
