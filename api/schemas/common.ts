/** Schemas every resource shares: the error shape, times, pages, and the error responses of a route. */
import { z } from '@hono/zod-openapi';
import { environmentNameProblem, modelNameProblem, nameProblem } from '../../core/validation/identifiers.ts';
import { countProblem, PAGE_LIMIT } from '../../core/validation/limits.ts';
import type { Problem } from '../../core/validation/problem.ts';

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

/**
 * A zod refinement running one of core/validation's checks, so the API, the CLI and the workflows
 * judge a value alike; the issue's path names the field, so the message leaves out its `field: `.
 */
export function checkedBy(field: string, check: (field: string, value: unknown) => Problem | null) {
  return (value: unknown, ctx: z.core.$RefinementCtx) => {
    const problem = check(field, value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem.message.replace(`${field}: `, '') });
  };
}

/** An environment's name: lower-case letters, digits and `_`, starting with a letter. */
export const EnvironmentName = z
  .string()
  .min(1)
  .superRefine(checkedBy('env', environmentNameProblem))
  .openapi({ param: { name: 'env', in: 'path' }, example: 'prod', pattern: '^[a-z][a-z0-9_]*$' });

/** A model's name, `schema.table`. */
export const ModelName = z
  .string()
  .min(1)
  .superRefine(checkedBy('model', modelNameProblem))
  .openapi({ example: 'sales.orders' });

/** An id or name the API hands out or takes: a plan, run, execution or token id, a gateway or token name. */
export const OpaqueName = (field: string) =>
  z.string().min(1).max(200).superRefine(checkedBy(field, nameProblem));

export const EnvParams = z.object({ env: EnvironmentName });

/** An environment a list is filtered by: a well-formed name (one that is not could match nothing). */
export const EnvironmentFilter = z
  .string()
  .min(1)
  .superRefine(checkedBy('environment', environmentNameProblem))
  .optional()
  .openapi({ description: 'only this environment', pattern: '^[a-z][a-z0-9_]*$' });

export const PageQuery = {
  limit: z.coerce
    .number()
    .int()
    .min(PAGE_LIMIT.min)
    .max(PAGE_LIMIT.max)
    .superRefine(checkedBy('limit', (field, value) => countProblem(field, value, PAGE_LIMIT)))
    .optional()
    .openapi({ description: 'items per page (1-500, 50 by default)' }),
  cursor: z.string().min(1).optional().openapi({ description: 'the nextCursor of the previous page' }),
};

/** A query parameter listing one or more of `allowed`, comma-separated; an unknown one is named. */
export const commaList = (what: string, allowed: readonly string[]) =>
  z
    .string()
    .min(1)
    .optional()
    .openapi({ description: `one or more of ${allowed.join(', ')}, comma-separated` })
    .superRefine((value, ctx) => {
      for (const item of (value ?? '').split(',').filter((v) => v !== '')) {
        if (!allowed.includes(item))
          ctx.addIssue({
            code: 'custom',
            message: `unknown ${what} "${item}" (one of ${allowed.join(', ')})`,
          });
      }
    });

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
  422: 'the project is not valid, or a range the models cannot take (details.field names it)',
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
