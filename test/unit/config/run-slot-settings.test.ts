/** SLUICE_RUN_SLOTS and SLUICE_RUN_PRIORITY: what they accept, and one-line refusals naming them. */
import { describe, expect, it } from 'vitest';
import { readOne as read, refusalOf as rejection } from './refusal.ts';

describe('run slot settings', () => {
  it('takes a number of slots, no limit when unset', () => {
    expect(read('SLUICE_RUN_SLOTS', undefined)).toBeUndefined();
    expect(read('SLUICE_RUN_SLOTS', '3')).toBe(3);
  });

  it('refuses a number of slots that is not a positive whole number, naming the variable', () => {
    for (const bad of ['0', '-1', '2.5', 'three']) {
      const message = rejection('SLUICE_RUN_SLOTS', bad);
      expect(message).toContain('SLUICE_RUN_SLOTS');
      expect(message).toContain('expected a positive whole number of runs');
    }
  });

  it('takes environment=priority pairs, every environment 0 when unset', () => {
    expect(read('SLUICE_RUN_PRIORITY', undefined)).toEqual({});
    expect(read('SLUICE_RUN_PRIORITY', 'prod=10, staging=5,pr_42=-1')).toEqual({
      prod: 10,
      staging: 5,
      pr_42: -1,
    });
  });

  it('refuses a malformed or repeated pair, naming the variable', () => {
    for (const bad of ['prod', 'prod=high', 'prod=1,,dev=2', 'prod=1,prod=2', 'prod=1.5']) {
      const message = rejection('SLUICE_RUN_PRIORITY', bad);
      expect(message).toContain('SLUICE_RUN_PRIORITY');
      expect(message).toContain('expected environment=priority pairs');
    }
  });
});
