import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunksUnder, utf8Length } from '../../core/payload-chunks.ts';

describe('chunksUnder', () => {
  it('keeps every item in order, each chunk under the budget unless it holds one item over it alone', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'grapheme', maxLength: 40 })),
        fc.integer({ min: 3, max: 200 }),
        (items, max) => {
          const chunks = chunksUnder(items, max);
          expect(chunks.flat()).toEqual(items);
          for (const chunk of chunks) {
            expect(chunk.length).toBeGreaterThan(0);
            if (chunk.length > 1) expect(Buffer.byteLength(JSON.stringify(chunk))).toBeLessThanOrEqual(max);
          }
          // greedy: a chunk could not have taken the next chunk's first item
          for (let i = 0; i + 1 < chunks.length; i++) {
            expect(Buffer.byteLength(JSON.stringify([...chunks[i]!, chunks[i + 1]![0]]))).toBeGreaterThan(
              max,
            );
          }
        },
      ),
    );
  });

  it('gives no chunk for no items, and an oversized item a chunk of its own', () => {
    expect(chunksUnder([], 10)).toEqual([]);
    expect(chunksUnder(['a', 'b'.repeat(50), 'c'], 20)).toEqual([['a'], ['b'.repeat(50)], ['c']]);
  });

  it('counts UTF-8 bytes as Buffer does', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(utf8Length(text)).toBe(Buffer.byteLength(text));
      }),
    );
  });
});
