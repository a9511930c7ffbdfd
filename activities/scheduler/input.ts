/**
 * Reads the scheduler activities' inputs. They arrive from workflows as JSON, so each activity
 * checks their shape before it touches the state database; a malformed input fails non-retryably
 * with the activity, the field and the value it got.
 */
import { z } from 'zod';
import { RUN_TRIGGERS } from '../../db/schema.ts';
import { describeValue } from '../../state/validate.ts';
import { invalidInput } from './failures.ts';

export const text = z.string().min(1, 'must be a non-empty string');
export const epochMs = z.number().int('must be epoch milliseconds (a whole number)');
export const interval = z
  .tuple([epochMs, epochMs])
  .refine(([start, end]) => end > start, 'must be [start, end) with end after start');
export const textList = z.array(text);
export const trigger = z.enum(RUN_TRIGGERS);

export function parseInput<T>(activity: string, schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  let field = 'input';
  let got: unknown = value;
  for (const key of issue.path) {
    field += typeof key === 'number' ? `[${key}]` : `.${String(key)}`;
    got = got !== null && typeof got === 'object' ? (got as Record<PropertyKey, unknown>)[key] : undefined;
  }
  throw invalidInput(activity, `${field} ${issue.message} (got ${describeValue(got)})`);
}
