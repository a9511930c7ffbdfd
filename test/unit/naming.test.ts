import { describe, expect, it } from 'vitest';
import {
  environmentView,
  NamingError,
  physicalTable,
  qualifiedName,
  quoteIdentifier,
  validateEnvironmentName,
} from '../../core/naming.ts';

describe('physicalTable', () => {
  it('names one table per snapshot in the sluice__<schema> schema', () => {
    expect(physicalTable('sushi.orders', '1234abcd')).toEqual({
      schema: 'sluice__sushi',
      table: 'sushi__orders__1234abcd',
      qualified: '"sluice__sushi"."sushi__orders__1234abcd"',
    });
  });

  it('gives different fingerprints different tables', () => {
    expect(physicalTable('sushi.orders', 'aaa').qualified).not.toBe(
      physicalTable('sushi.orders', 'bbb').qualified,
    );
  });

  it('rejects a name longer than 63 bytes, naming the model and the generated name', () => {
    const model = `sushi.${'x'.repeat(50)}`;
    const fingerprint = '0123456789';
    const generated = `sushi__${'x'.repeat(50)}__${fingerprint}`;
    expect(() => physicalTable(model, fingerprint)).toThrow(NamingError);
    expect(() => physicalTable(model, fingerprint)).toThrow(
      `model "${model}": physical table name "${generated}" is 69 bytes, longer than PostgreSQL's 63-byte identifier limit`,
    );
  });

  it('counts bytes, not characters', () => {
    const model = `sushi.${'é'.repeat(30)}`;
    // 43 characters, 73 bytes
    expect(() => physicalTable(model, 'abcd')).toThrow(/is 73 bytes/);
  });

  it('accepts a name of exactly 63 bytes', () => {
    const model = `sushi.${'x'.repeat(44)}`;
    expect(physicalTable(model, '0123456789').table).toHaveLength(63);
  });

  it('rejects model names that are not schema.table and bad fingerprints', () => {
    expect(() => physicalTable('orders', 'abc')).toThrow('model name "orders" must be schema.table');
    expect(() => physicalTable('a.b.c', 'abc')).toThrow('model name "a.b.c" must be schema.table');
    expect(() => physicalTable('sushi.orders', 'ab-c')).toThrow(
      'model "sushi.orders": fingerprint "ab-c" must be letters and digits',
    );
  });
});

describe('environmentView', () => {
  it('puts prod views in the model schema', () => {
    expect(environmentView('sushi.orders', 'prod')).toEqual({
      schema: 'sushi',
      view: 'orders',
      qualified: '"sushi"."orders"',
    });
  });

  it('puts other environments in <schema>__<env>', () => {
    expect(environmentView('sushi.orders', 'dev')).toEqual({
      schema: 'sushi__dev',
      view: 'orders',
      qualified: '"sushi__dev"."orders"',
    });
    expect(environmentView('sushi.orders', 'pr_42').schema).toBe('sushi__pr_42');
  });

  it('rejects a view schema longer than 63 bytes', () => {
    const schema = 's'.repeat(40);
    const env = `e${'x'.repeat(22)}`;
    expect(() => environmentView(`${schema}.orders`, env)).toThrow(
      `model "${schema}.orders": view schema for environment "${env}" name "${schema}__${env}" is 65 bytes`,
    );
  });

  it('validates the environment name', () => {
    expect(() => environmentView('sushi.orders', 'Dev')).toThrow('invalid environment name "Dev"');
  });
});

describe('validateEnvironmentName', () => {
  it.each(['prod', 'dev', 'pr_42', 'a', 'feature_x1'])('accepts %s', (name) => {
    expect(() => validateEnvironmentName(name)).not.toThrow();
  });

  it.each(['', 'Dev', '1dev', '_dev', 'dev-1', 'dev.x', 'dév', 'dev '])('rejects %j, naming it', (name) => {
    expect(() => validateEnvironmentName(name)).toThrow(
      `invalid environment name ${JSON.stringify(name)}: use lower-case letters, digits and _, starting with a letter`,
    );
  });

  it('rejects names longer than 63 characters', () => {
    expect(() => validateEnvironmentName(`e${'x'.repeat(63)}`)).toThrow(/longer than 63 characters/);
  });
});

describe('quoting', () => {
  it('double-quotes identifiers and doubles embedded quotes', () => {
    expect(quoteIdentifier('My "T"')).toBe('"My ""T"""');
    expect(qualifiedName('a', 'b')).toBe('"a"."b"');
    expect(() => quoteIdentifier('')).toThrow('an identifier cannot be empty');
  });
});
