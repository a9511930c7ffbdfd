/**
 * The checks of identifiers that reach the scheduler: environment and model names as the project
 * accepts them, and the opaque ids and names the API takes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  environmentNameProblem,
  MAX_NAME_LENGTH,
  modelNameProblem,
  nameProblem,
} from '../../../core/validation/identifiers.ts';

describe('environmentNameProblem', () => {
  it('takes the names core/naming.ts takes and names the field otherwise', () => {
    for (const name of ['prod', 'dev_alice', 'a1']) expect(environmentNameProblem('env', name)).toBeNull();
    expect(environmentNameProblem('env', 'Prod')).toEqual({
      field: 'env',
      message:
        'env: invalid environment name "Prod": use lower-case letters, digits and _, starting with a letter',
    });
    for (const name of ['', '1dev', 'dev-x', 'a'.repeat(64), 'pr\u0000od', 42]) {
      expect(environmentNameProblem('env', name)?.field).toBe('env');
    }
  });
});

describe('modelNameProblem', () => {
  it('takes every schema.table the project loader reads, quoted parts included', () => {
    for (const name of ['sales.orders', 'Sales.Order Lines', 'a.b', 's."x"']) {
      expect(modelNameProblem('models[0]', name)).toBeNull();
    }
  });

  it('refuses what cannot be a model name, naming the field', () => {
    expect(modelNameProblem('models[1]', 'orders')).toEqual({
      field: 'models[1]',
      message: 'models[1] "orders" is not a model name: use schema.table (two non-empty parts)',
    });
    for (const name of ['a.b.c', '.b', 'a.', 'a.b\u0000', `a.${'x'.repeat(64)}`, 7]) {
      expect(modelNameProblem('model', name)?.field).toBe('model');
    }
  });

  it('takes any two dot-free parts of up to 63 bytes without NUL', () => {
    const part = fc
      .string({ minLength: 1, maxLength: 20 })
      .filter((s) => !s.includes('.') && !s.includes('\0'));
    fc.assert(fc.property(part, part, (a, b) => modelNameProblem('model', `${a}.${b}`) === null));
  });
});

describe('nameProblem', () => {
  it('takes ids and names as the API hands them out', () => {
    for (const id of ['tok_1a2b3c4d5e6f', 'sluice-run-prod-20261125T1000Z', 'Local', 'ci deploy']) {
      expect(nameProblem('id', id)).toBeNull();
    }
  });

  it('refuses empty, overlong, control characters and blank ends, naming the field', () => {
    expect(nameProblem('id', '')).toEqual({ field: 'id', message: 'id must not be empty' });
    expect(nameProblem('id', 'x'.repeat(MAX_NAME_LENGTH + 1))?.message).toBe(
      'id is longer than 200 characters',
    );
    expect(nameProblem('name', 'a\nb')?.message).toBe('name "a\\nb" contains a control character');
    expect(nameProblem('gateway', ' x')?.message).toBe('gateway " x" starts or ends with a space');
  });
});
