import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_MODELS_ATTRIBUTE, modelsAttribute } from '../../workflows/search-attributes.ts';

/** What a default Temporal server accepts for one search attribute value. */
const SERVER_LIMIT_BYTES = 2048;

describe('modelsAttribute', () => {
  it('names every model of a small run, sorted and without repeats', () => {
    expect(modelsAttribute(['shop.b', 'shop.a', 'shop.b'])).toEqual(['shop.a', 'shop.b']);
  });

  it('names the first models of a run of 500, at most 20', () => {
    const names = Array.from({ length: 500 }, (_, i) => `m.model_${String(499 - i).padStart(3, '0')}`);
    const summary = modelsAttribute(names);
    expect(summary).toHaveLength(MAX_MODELS_ATTRIBUTE);
    expect(summary).toEqual([...names].sort().slice(0, MAX_MODELS_ATTRIBUTE));
    const long = modelsAttribute(names.map((n) => `analytics_warehouse.${n}_with_a_long_name`));
    expect(long.length).toBeGreaterThan(0);
    expect(long.length).toBeLessThan(MAX_MODELS_ATTRIBUTE);
  });

  it('always fits the server’s limit, whatever the names', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 300 }), { maxLength: 200 }), (names) => {
        const summary = modelsAttribute(names);
        expect(Buffer.byteLength(JSON.stringify(summary))).toBeLessThan(SERVER_LIMIT_BYTES);
        for (const name of summary) expect(names).toContain(name);
      }),
    );
  });
});
