/** The audit log: who changed what, when and why. */
import { z } from '@hono/zod-openapi';
import { EnvironmentFilter, OpaqueName, PageQuery, pageOf, Timestamp } from './common.ts';

export const AuditEntrySchema = z
  .object({
    id: z.number().int(),
    at: Timestamp,
    actor: z.string(),
    action: z.string(),
    target: z.string().nullable(),
    environment: z.string().nullable(),
    reason: z.string().nullable(),
    details: z.unknown().nullable(),
  })
  .openapi('AuditEntry');

export const AuditPageSchema = pageOf(AuditEntrySchema, 'AuditPage');

export const AuditQuery = z.object({
  environment: EnvironmentFilter,
  actor: OpaqueName('actor').optional(),
  action: OpaqueName('action').optional(),
  target: OpaqueName('target').optional(),
  since: z.string().min(1).optional(),
  until: z.string().min(1).optional(),
  ...PageQuery,
});
