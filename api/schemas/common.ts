/** Schemas every resource shares: the error shape, times, pages, and the error responses of a route. */
import { z } from '@hono/zod-openapi';

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'not_found' }),
      message: z.string().openapi({ example: 'unknown environment "staging"' }),
      details: z.unknown().nullable(),
    }),
  })
  .openapi('Error');

/** An ISO-8601 instant, as every time in a response is written. */
export const Timestamp = z.string().openapi({ format: 'date-time', example: '2026-11-25T10:00:00.000Z' });

/** A time as a request may give it: a date, a timestamp, epoch milliseconds or `1 day ago`. */
export const TimeInput = z.union([z.string().min(1), z.number().int()]).openapi({
  description: 'a date, an ISO timestamp, epoch milliseconds, or a relative time (`2 days ago`)',
});

export const EnvironmentName = z
  .string()
  .min(1)
  .openapi({ param: { name: 'env', in: 'path' }, example: 'prod' });

export const EnvParams = z.object({ env: EnvironmentName });

export const PageQuery = {
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(500)
    .optional()
    .openapi({ description: 'items per page (1-500, 50 by default)' }),
  cursor: z.string().min(1).optional().openapi({ description: 'the nextCursor of the previous page' }),
};

export function pageOf<T extends z.ZodType>(item: T, name: string) {
  return z.object({ items: z.array(item), nextCursor: z.string().nullable() }).openapi(name);
}

const ERROR_DESCRIPTIONS = {
  400: 'malformed JSON or a value that fails validation',
  401: 'no or an invalid API token',
  403: 'the token may not do this (role or environment), or the Host or Origin is not this API’s',
  404: 'an unknown environment, model, run, plan or token',
  409: 'a conflict with the current state',
  413: 'the request body is too large',
  415: 'the body is not JSON',
  422: 'the project is not valid',
  503: 'Temporal or the state database is unreachable',
} as const;

type ErrorStatus = keyof typeof ERROR_DESCRIPTIONS;

interface ErrorResponse {
  description: string;
  content: { 'application/json': { schema: typeof ErrorSchema } };
}

/** Error responses of a route, all in the one error shape. */
export function errors<const S extends readonly ErrorStatus[]>(
  ...statuses: S
): { [K in S[number]]: ErrorResponse } {
  return Object.fromEntries(
    statuses.map((status) => [
      status,
      { description: ERROR_DESCRIPTIONS[status], content: { 'application/json': { schema: ErrorSchema } } },
    ]),
  ) as { [K in S[number]]: ErrorResponse };
}

export function json<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

export function jsonBody<T extends z.ZodType>(schema: T) {
  return { required: true, content: { 'application/json': { schema } } };
}
