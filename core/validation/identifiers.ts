/**
 * The identifiers that reach the scheduler, each with one check: environment names (the rule of
 * core/naming.ts), model names (`schema.table`, as the project loader reads them: each part may be a
 * quoted identifier with any character but a dot), and the opaque names and ids the API hands out or
 * takes (plan, run, execution and token ids, gateway and token names). No check refuses a name the
 * project loader or the API accepts for what it names.
 */
import { MAX_IDENTIFIER_BYTES, NamingError, validateEnvironmentName } from '../naming.ts';
import type { Problem } from './problem.ts';

/** The longest id or name taken where no stricter rule applies. */
export const MAX_NAME_LENGTH = 200;

const UTF8 = new TextEncoder();
const CONTROL = /[\u0000-\u001f\u007f]/;

const shown = (value: unknown) => (typeof value === 'string' ? JSON.stringify(value) : String(value));

/** Why `value` is not an environment name, or null. */
export function environmentNameProblem(field: string, value: unknown): Problem | null {
  try {
    validateEnvironmentName(value as string);
    return null;
  } catch (err) {
    if (err instanceof NamingError) return { field, message: `${field}: ${err.message}` };
    throw err;
  }
}

/** Why `value` is not a model name (`schema.table`), or null. */
export function modelNameProblem(field: string, value: unknown): Problem | null {
  if (typeof value !== 'string') return { field, message: `${field} must be a model name, schema.table` };
  const parts = value.split('.');
  if (parts.length !== 2 || parts.some((part) => part.length === 0)) {
    return {
      field,
      message: `${field} ${shown(value)} is not a model name: use schema.table (two non-empty parts)`,
    };
  }
  if (value.includes('\0')) return { field, message: `${field} ${shown(value)} contains a NUL character` };
  const long = parts.find((part) => UTF8.encode(part).length > MAX_IDENTIFIER_BYTES);
  if (long !== undefined) {
    return {
      field,
      message: `${field} ${shown(value)} is not a model name: "${long}" is longer than ${MAX_IDENTIFIER_BYTES} bytes`,
    };
  }
  return null;
}

/**
 * Why `value` is not an id or name the API hands out or takes (a plan, run, execution or token id,
 * a gateway or token name), or null: 1 to 200 characters, no control characters, no blank ends.
 */
export function nameProblem(field: string, value: unknown): Problem | null {
  if (typeof value !== 'string' || value.length === 0)
    return { field, message: `${field} must not be empty` };
  if (value.length > MAX_NAME_LENGTH) {
    return { field, message: `${field} is longer than ${MAX_NAME_LENGTH} characters` };
  }
  if (CONTROL.test(value)) {
    return { field, message: `${field} ${shown(value)} contains a control character` };
  }
  if (value.trim() !== value) {
    return { field, message: `${field} ${shown(value)} starts or ends with a space` };
  }
  return null;
}
