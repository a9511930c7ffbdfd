/** The audit log, newest first, filtered by environment, actor, action, target and time. */
import { createRoute } from '@hono/zod-openapi';
import { listAudit } from '../../state/audit-log.ts';
import { requirePermission } from '../auth/authorize.ts';
import { checkCursor } from '../cursor.ts';
import { router } from '../router.ts';
import { AuditPageSchema, AuditQuery } from '../schemas/audit.ts';
import { errors, json } from '../schemas/common.ts';
import { readTime } from '../time-input.ts';

const list = createRoute({
  method: 'get',
  path: '/audit',
  tags: ['audit'],
  summary: 'Who changed what, when and why',
  middleware: [requirePermission('read')],
  request: { query: AuditQuery },
  responses: { 200: json(AuditPageSchema, 'one page of audit entries'), ...errors(400, 401, 403) },
});

export function auditRoutes() {
  return router().openapi(list, async (c) => {
    const { db, now } = c.get('deps');
    const q = c.req.valid('query');
    const page = await listAudit(db, {
      environment: q.environment,
      actor: q.actor,
      action: q.action,
      target: q.target,
      since: q.since === undefined ? undefined : readTime('since', q.since, now()),
      until: q.until === undefined ? undefined : readTime('until', q.until, now()),
      limit: q.limit,
      cursor: checkCursor(q.cursor, 'number'),
    });
    return c.json(page, 200);
  });
}
