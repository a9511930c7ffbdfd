import { describe, expect, it } from 'vitest';
import { VARIABLES } from '../../../config/variables.ts';

/** Variables whose README default is one value in backticks, and whose schema has a default. */
const shown = Object.entries(VARIABLES).flatMap(([name, variable]) => {
  const text = /^`([^`]+)`$/.exec(variable.default)?.[1];
  const parsedDefault = variable.schema.safeParse(undefined);
  return text !== undefined && parsedDefault.success && parsedDefault.data !== undefined
    ? [{ name, text, value: parsedDefault.data, schema: variable.schema }]
    : [];
});

describe('the defaults the README shows', () => {
  it('cover the variables with a default', () => {
    expect(shown.map((s) => s.name)).toEqual(
      expect.arrayContaining([
        'SLUICE_API_PORT',
        'SLUICE_SHUTDOWN_GRACE',
        'SLUICE_API_URL',
        'SLUICE_POLL_MS',
      ]),
    );
  });

  it.each(shown)('$name: `$text` is the value the variable takes when unset', ({ text, value, schema }) => {
    expect(schema.parse(text)).toEqual(value);
  });
});
