/** Scheduler-managed warehouse connections: listed and returned without their settings, ever. */
import { z } from '@hono/zod-openapi';
import { CONNECTION_TYPES } from '../../db/schema.ts';
import { OpaqueName, Timestamp } from './common.ts';

export const ConnectionSchema = z
  .object({
    gateway: z.string().openapi({ example: 'warehouse' }),
    type: z.enum(CONNECTION_TYPES),
    host: z.string().nullable().openapi({
      description: "Postgres: the server's host; DuckDB: the database file's name or `:memory:`",
      example: 'db.internal',
    }),
    keyId: z.string().openapi({ description: 'the id of the key the settings are sealed with' }),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    createdBy: z.string(),
    updatedBy: z.string(),
    lastTestedAt: Timestamp.nullable(),
    lastTestMs: z.number().int().nullable().openapi({ description: 'how long connecting took then, in ms' }),
  })
  .openapi('Connection');

export const ConnectionTestSchema = z
  .object({
    executor: z.string().openapi({ description: 'the apply executor that connected' }),
    latencyMs: z.number().int(),
    serverVersion: z.string().optional(),
  })
  .openapi('ConnectionTest');

export const SavedConnectionSchema = ConnectionSchema.extend({
  created: z.boolean().openapi({ description: 'false when the gateway had a connection, now replaced' }),
  test: ConnectionTestSchema,
}).openapi('SavedConnection');

export const ConnectionListSchema = z
  .object({
    items: z.array(ConnectionSchema).openapi({
      description:
        "the connections of the gateways in the token's scope: gateways whose every environment (by " +
        "its mapped models, or a plan for it not yet finished) matches the token's patterns, and " +
        'gateways no environment uses',
    }),
  })
  .openapi('ConnectionList');

export const AddConnectionBody = z
  .object({
    gateway: z
      .string()
      .trim()
      .min(1)
      .max(63)
      .openapi({ description: 'the gateway name models and config.yaml use (case-insensitive)' }),
    yaml: z
      .string()
      .min(1)
      .max(64 * 1024)
      .openapi({
        description:
          "the gateway's `connection:` mapping as SQLMesh YAML (type, host, port, database, user, password, ...)",
        example:
          'type: postgres\nhost: db.internal\nport: 5432\ndatabase: analytics\nuser: sluice\npassword: ...\n',
      }),
  })
  .openapi('AddConnectionRequest');

export const ConnectionParams = z.object({
  gateway: OpaqueName('gateway').openapi({ param: { name: 'gateway', in: 'path' }, example: 'warehouse' }),
});

export const KeyRotationSchema = z
  .object({
    keyId: z.string().openapi({ description: 'the key every connection is sealed with now' }),
    resealed: z
      .record(z.string(), z.number().int())
      .openapi({ description: 'connections re-sealed, by the id of the key they were sealed with' }),
    unchanged: z.number().int().openapi({ description: 'connections already sealed with the current key' }),
    gateways: z.array(z.object({ gateway: z.string(), fromKeyId: z.string(), toKeyId: z.string() })),
  })
  .openapi('KeyRotation');
