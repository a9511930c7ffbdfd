/**
 * Reads the executor activities' inputs. The scheduler side builds them, but they cross a process
 * boundary as JSON, so the executor checks their shape before running any SQL; a malformed input
 * fails with INVALID_REQUEST naming the field.
 */

import { z } from 'zod';
import type { ExecutionRequest } from '../../core/execution/request.ts';
import type { ViewEntry } from '../../core/plan/types.ts';
import { QUERY_ROW_LIMIT, QUERY_TIMEOUT_LIMIT } from '../../core/query/limits.ts';
import { InvalidRequestError } from './invalid-request-error.ts';

const MODEL_KINDS = [
  'VIEW',
  'FULL',
  'INCREMENTAL_BY_TIME_RANGE',
  'INCREMENTAL_BY_UNIQUE_KEY',
  'SEED',
  'EMBEDDED',
] as const;

const text = z.string().min(1);
const index = z.number().int().nonnegative();

const requestSchema = z
  .object({
    model: text,
    snapshot: text,
    gateway: z.string().optional(),
    kind: z.enum(MODEL_KINDS),
    statements: z.array(z.object({ sql: text, label: z.string().optional() })),
    createStatements: index,
    writeStatements: z.array(index),
    audits: z.array(z.object({ name: text, blocking: z.boolean(), sql: text })),
    physical: z.object({ schema: text, table: text }),
  })
  .superRefine((request, context) => {
    const count = request.statements.length;
    if (request.createStatements > count) {
      context.addIssue({
        code: 'custom',
        path: ['createStatements'],
        message: `${request.createStatements} is more than the ${count} statements`,
      });
    }
    for (const [position, statement] of request.writeStatements.entries()) {
      if (statement >= count) {
        context.addIssue({
          code: 'custom',
          path: ['writeStatements', position],
          message: `statement ${statement} does not exist (there are ${count})`,
        });
      }
    }
  });

const viewEntriesSchema = z.array(z.object({ model: text, physical: text }));
const namesSchema = z.array(text);

function read<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.reduce<string>(
    (path, key) => (typeof key === 'number' ? `${path}[${key}]` : `${path}.${String(key)}`),
    where,
  );
  throw new InvalidRequestError(`${field}: ${issue.message}`);
}

/** The execution request in `value` (see core/execution/request.ts). */
export function readExecutionRequest(value: unknown, where: string): ExecutionRequest {
  const { gateway, ...rest } = read(requestSchema, value, where);
  return gateway === undefined ? rest : { ...rest, gateway };
}

export function readViewEntries(value: unknown, where: string): ViewEntry[] {
  return read(viewEntriesSchema, value, where);
}

export function readNames(value: unknown, where: string): string[] {
  return read(namesSchema, value, where);
}

export function readText(value: unknown, where: string): string {
  return read(text, value, where);
}

const queryBoundsSchema = z.object({
  sql: z.string().refine((sql) => sql.trim() !== '', 'expected a statement, got empty text'),
  limit: z.number().int().min(QUERY_ROW_LIMIT.min).max(QUERY_ROW_LIMIT.max),
  timeoutMs: z.number().int().min(QUERY_TIMEOUT_LIMIT.min).max(QUERY_TIMEOUT_LIMIT.max),
});

/** The statement and bounds of a query request (see QueryRequest in activities/contracts.ts). */
export function readQueryBounds(value: unknown): { sql: string; limit: number; timeoutMs: number } {
  return read(queryBoundsSchema, value, 'query');
}
