/** The check of numeric limits: whole numbers within a page's or a run's limits. */

import type { Client } from '@temporalio/client';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ensureEnvironmentWorkflow } from '../../../api/environment-commands.ts';
import { countProblem, PAGE_LIMIT, THREADS_LIMIT } from '../../../core/validation/limits.ts';

describe('countProblem', () => {
  it('takes whole numbers within the limit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), (n) => countProblem('limit', n, PAGE_LIMIT) === null),
    );
    expect(countProblem('threads', 4, THREADS_LIMIT)).toBeNull();
  });

  it('refuses anything else, naming the field and the limit', () => {
    expect(countProblem('limit', 0, PAGE_LIMIT)).toEqual({
      field: 'limit',
      message: 'limit must be a whole number from 1 to 500 (got 0)',
    });
    for (const value of [501, 2.5, Number.NaN, '20', -1, Number.POSITIVE_INFINITY]) {
      expect(countProblem('limit', value, PAGE_LIMIT)?.field).toBe('limit');
    }
  });
});

describe('threads', () => {
  it('an environment workflow is not started with threads out of their limit', async () => {
    const client = {
      workflow: {
        start: () => Promise.reject(new Error('Temporal was asked')),
      },
    } as unknown as Client;
    for (const threads of [0, 1.5, 257]) {
      await expect(ensureEnvironmentWorkflow(client, 'prod', { threads })).rejects.toThrow(
        `environment prod: threads must be a whole number from 1 to 256 (got ${threads})`,
      );
    }
    await expect(ensureEnvironmentWorkflow(client, 'prod', { threads: 4 })).rejects.toThrow(
      'Temporal was asked',
    );
  });
});
