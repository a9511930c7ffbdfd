/**
 * zod schemas for the values of environment variables. Each takes the variable's trimmed text and
 * gives its typed value; a rejection's message is what the variable expects ("expected …"), which
 * `readVariables` turns into a one-line ConfigurationError naming the variable.
 */
import { z } from 'zod';
import { DATABASE_URL_EXPECTATION, describeRejectedUrl, isDatabaseUrl } from './database-url.ts';
import { type DurationOptions, durationExpectation, parseDuration } from './duration.ts';
import { LISTEN_HOST_EXPECTATION, parseListenHost } from './listen-host.ts';
import { type PortOptions, parsePort, portExpectation } from './port.ts';
import { parseRunPriority, RUN_PRIORITY_EXPECTATION } from './run-priority.ts';

/** A schema from a parser that returns undefined for text it refuses. */
export function parsed<T>(expectation: string, parse: (text: string) => T | undefined): z.ZodType<T, string> {
  return z.string().transform((text, ctx) => {
    const value = parse(text);
    if (value === undefined) {
      ctx.issues.push({ code: 'custom', message: expectation, input: text });
      return z.NEVER;
    }
    return value;
  });
}

export const text = (): z.ZodType<string, string> => z.string();

export const port = (options: PortOptions = {}) =>
  parsed(portExpectation(options), (value) => parsePort(value, options));

export const duration = (options: DurationOptions = {}) =>
  parsed(durationExpectation(options), (value) => parseDuration(value, options));

export const listenHost = () => parsed(LISTEN_HOST_EXPECTATION, parseListenHost);

/** A positive whole number of `unit`, e.g. megabytes. */
export const wholeNumber = (unit: string, example: number) =>
  parsed(`expected a positive whole number of ${unit}, e.g. ${example}`, (value) =>
    /^\d{1,9}$/.test(value) && Number(value) >= 1 ? Number(value) : undefined,
  );

/** Environments' priorities for run slots (SLUICE_RUN_PRIORITY). */
export const runPriority = () => parsed(RUN_PRIORITY_EXPECTATION, parseRunPriority);

export const oneOf = <const T extends string>(values: readonly T[]) =>
  parsed(`expected ${values.map((v) => JSON.stringify(v)).join(' or ')}`, (value) =>
    values.find((v) => v === value.toLowerCase()),
  );

export const matching = (pattern: RegExp, expectation: string) =>
  parsed(expectation, (value) => (pattern.test(value) ? value : undefined));

/** A state database URL; the message names only the scheme of a rejected one. */
export const databaseUrl = (): z.ZodType<string, string> =>
  z.string().transform((url, ctx) => {
    if (isDatabaseUrl(url)) return url;
    ctx.issues.push({
      code: 'custom',
      message: `${DATABASE_URL_EXPECTATION}, got ${describeRejectedUrl(url)}`,
      input: url,
    });
    return z.NEVER;
  });

/** An http(s) URL, e.g. of the API. */
export const httpUrl = () =>
  parsed('expected an http:// or https:// URL, e.g. http://127.0.0.1:8787', (value) =>
    /^https?:\/\/[^\s/]+/i.test(value) ? value : undefined,
  );

/** The path of a PEM file, never the PEM text itself. */
export const pemPath = () =>
  parsed('expected the path of a PEM file, not the PEM text itself', (value) =>
    value.includes('-----BEGIN') ? undefined : value,
  );
