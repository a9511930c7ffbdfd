/** Who the caller is and what it may do: what a client needs to offer only the actions it may take. */
import { z } from '@hono/zod-openapi';
import { API_ROLES, PERMISSIONS } from '../auth/roles.ts';
import { EnvironmentFilter } from './common.ts';

const Allowed = {
  allowed: z.boolean(),
  reason: z
    .string()
    .nullable()
    .openapi({ description: 'when not allowed, the refusal the API gives (403) to the same request' }),
};

export const WhoamiQuery = z.object({
  environment: EnvironmentFilter.openapi({
    description:
      "answer for this environment too: a permission that changes something is scoped by the token's environment patterns",
  }),
});

export const WhoamiSchema = z
  .object({
    name: z.string().openapi({ description: 'the token’s name; `local` when authentication is off' }),
    tokenId: z.string().nullable(),
    role: z.enum(API_ROLES),
    auth: z.enum(['tokens', 'off']).openapi({
      description: '`off`: the server is bound to loopback only and every caller acts as a local admin',
    }),
    environments: z
      .array(z.string())
      .openapi({ description: 'the environment name patterns the token may change things in' }),
    environment: z.string().nullable().openapi({ description: 'the environment asked about, if any' }),
    permissions: z.record(
      z.enum(PERMISSIONS as [string, ...string[]]),
      z.object({ description: z.string(), needs: z.enum(API_ROLES), ...Allowed }),
    ),
    actions: z
      .array(z.object({ method: z.string(), path: z.string(), permission: z.string(), ...Allowed }))
      .openapi({ description: 'every route that changes something, with whether the caller may use it' }),
  })
  .openapi('Whoami');
