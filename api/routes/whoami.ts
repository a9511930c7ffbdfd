/**
 * `GET /whoami`: the calling token's name and role, and what it may do, each permission and each
 * route that changes something allowed or refused with the reason the route would give. Any role
 * may ask. The routes are read from the app itself (their guards), so this never disagrees with them.
 */
import { createRoute } from '@hono/zod-openapi';
import { abilities } from '../auth/abilities.ts';
import { type GuardedRoute, requirePermission } from '../auth/authorize.ts';
import { router } from '../router.ts';
import { errors, json } from '../schemas/common.ts';
import { WhoamiQuery, WhoamiSchema } from '../schemas/whoami.ts';

const whoami = createRoute({
  method: 'get',
  path: '/whoami',
  tags: ['tokens'],
  summary: 'The calling token: its name, role, and which permissions and actions it has',
  middleware: [requirePermission('read')],
  request: { query: WhoamiQuery },
  responses: { 200: json(WhoamiSchema, 'the caller'), ...errors(400, 401, 403) },
});

/** `routes`: the app's guarded routes, read when asked (the app is complete by then). */
export function whoamiRoutes(routes: () => readonly GuardedRoute[]) {
  return router().openapi(whoami, async (c) => {
    const principal = c.get('principal');
    const { environment } = c.req.valid('query');
    return c.json(
      {
        name: principal.name,
        tokenId: principal.tokenId,
        role: principal.role,
        auth: c.get('deps').auth,
        environments: principal.environments,
        environment: environment ?? null,
        ...abilities(principal, routes(), environment),
      },
      200,
    );
  });
}
