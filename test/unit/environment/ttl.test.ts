import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_TTL_MS, parseTtl, TtlError } from '../../../core/environment/ttl.ts';
import { parseConfig } from '../../../core/project/config.ts';
import { Issues } from '../../../core/project/issues.ts';
import { formatIssue } from '../../../core/project/types.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

describe('parseTtl', () => {
  it('reads a whole number of minutes, hours, days or weeks', () => {
    expect(parseTtl('30m', '--ttl')).toBe(30 * MIN);
    expect(parseTtl('12h', '--ttl')).toBe(12 * HOUR);
    expect(parseTtl('3d', '--ttl')).toBe(3 * DAY);
    expect(parseTtl(' 2w ', '--ttl')).toBe(14 * DAY);
  });

  it.each(['', '3', '0d', '-1d', '1.5d', '3 days', '3D', '1y', 'in 1 week', 'd', '3650w', '99999999d'])(
    'refuses %j, naming the value and where it came from',
    (bad) => {
      expect(() => parseTtl(bad, '--ttl')).toThrow(TtlError);
      expect(() => parseTtl(bad, '--ttl')).toThrow(`--ttl: ${JSON.stringify(bad)} is not an environment TTL`);
    },
  );

  it('never returns anything but a positive duration up to ten years', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          const ms = parseTtl(text, 'x');
          return ms > 0 && ms <= MAX_TTL_MS && Number.isInteger(ms);
        } catch (error) {
          return error instanceof TtlError;
        }
      }),
    );
  });
});

describe('sluice: environment_ttl in config.yaml', () => {
  const read = (section: string) => {
    const issues = new Issues();
    const config = parseConfig(
      `gateways:\n  local:\n    connection:\n      type: duckdb\nmodel_defaults:\n  dialect: duckdb\n${section}`,
      'config.yaml',
      {},
      Date.parse('2025-06-15T10:00:00Z'),
      issues,
    );
    return { config, errors: issues.errors.map(formatIssue) };
  };

  it('is the default TTL of non-prod plans', () => {
    const { config, errors } = read('sluice:\n  environment_ttl: 7d\n');
    expect(errors).toEqual([]);
    expect(config?.environmentTtlMs).toBe(7 * DAY);
    expect(read('').config?.environmentTtlMs).toBeUndefined();
  });

  it('refuses a bad TTL, an unknown key and a section that is not a mapping, naming the line', () => {
    expect(read('sluice:\n  environment_ttl: soon\n').errors).toEqual([
      expect.stringMatching(/^config\.yaml:8: sluice\.environment_ttl: "soon" is not an environment TTL/),
    ]);
    expect(read('sluice:\n  janitor_grace: 1d\n').errors).toEqual([
      expect.stringMatching(/^config\.yaml:8: unknown key sluice\.janitor_grace/),
    ]);
    expect(read('sluice: 7d\n').errors).toEqual([
      expect.stringMatching(/^config\.yaml:7: sluice must be a mapping/),
    ]);
  });
});
