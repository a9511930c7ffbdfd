/** API tokens: created once and shown once, listed without their secret, revoked. */
import { z } from '@hono/zod-openapi';
import { nameProblem } from '../../core/validation/identifiers.ts';
import { API_ROLES } from '../../db/schema.ts';
import { checkedBy, OpaqueName, TimeInput, Timestamp } from './common.ts';

export const TokenSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.enum(API_ROLES),
    environments: z.array(z.string()),
    createdBy: z.string(),
    createdAt: Timestamp,
    expiresAt: Timestamp.nullable(),
    lastUsedAt: Timestamp.nullable(),
    revokedBy: z.string().nullable(),
    revokedAt: Timestamp.nullable(),
  })
  .openapi('Token');

export const CreatedTokenSchema = TokenSchema.extend({
  token: z.string().openapi({ description: 'the token itself: shown only in this reply, store it now' }),
}).openapi('CreatedToken');

export const TokenListSchema = z.object({ items: z.array(TokenSchema) }).openapi('TokenList');

export const CreateTokenBody = z
  .object({
    name: z.string().trim().min(1).max(200).superRefine(checkedBy('name', nameProblem)),
    role: z.enum(API_ROLES),
    environments: z
      .array(z.string().min(1))
      .min(1)
      .default(['*'])
      .openapi({ description: 'environment patterns the token may act on (`prod`, `dev_*`, `*`)' }),
    expiresAt: TimeInput.optional(),
  })
  .openapi('CreateTokenRequest');

export const TokenListQuery = z.object({
  includeRevoked: z.enum(['true', 'false']).optional().openapi({ description: 'also list revoked tokens' }),
});

export const TokenParams = z.object({
  id: OpaqueName('id').openapi({ param: { name: 'id', in: 'path' }, example: 'tok_1a2b3c4d5e6f' }),
});
