import { describe, expect, it } from 'vitest';
import { environmentView } from '../../../core/naming.ts';
import { resolveModelReferences } from '../../../core/query/resolve-models.ts';
import { SqlLexError } from '../../../core/sql/tokenize.ts';

const MODELS = new Set(['shop.orders', 'shop.customers', 'Shop.Mixed']);
const devViews = (model: string) => (MODELS.has(model) ? environmentView(model, 'dev').qualified : undefined);

describe('resolveModelReferences', () => {
  it("replaces each model where a table goes with the environment's view", () => {
    const { sql, references } = resolveModelReferences(
      'SELECT o.id, c.name FROM shop.orders o JOIN SHOP.CUSTOMERS AS c ON o.customer_id = c.id',
      devViews,
    );
    expect(sql).toBe(
      'SELECT o.id, c.name FROM "shop__dev"."orders" o JOIN "shop__dev"."customers" AS c ON o.customer_id = c.id',
    );
    expect(references).toEqual(['shop.orders', 'shop.customers']);
  });

  it('leaves strings, comments, columns, CTE names and unknown tables as written', () => {
    const text = [
      "WITH recent AS (SELECT * FROM shop.orders WHERE note <> 'shop.orders')",
      '-- FROM shop.customers',
      'SELECT recent.id, shop.orders_total FROM recent, raw.events',
    ].join('\n');
    const { sql, references } = resolveModelReferences(text, devViews);
    expect(sql).toBe(text.replace('FROM shop.orders WHERE', 'FROM "shop__dev"."orders" WHERE'));
    expect(references).toEqual(['shop.orders', 'raw.events']);
  });

  it('keeps quoted names as they are cased, and in prod the view has the model name', () => {
    const prod = (model: string) =>
      MODELS.has(model) ? environmentView(model, 'prod').qualified : undefined;
    expect(resolveModelReferences('SELECT * FROM "Shop"."Mixed"', prod).sql).toBe(
      'SELECT * FROM "Shop"."Mixed"',
    );
    expect(resolveModelReferences('select * from shop.orders', prod).sql).toBe(
      'select * from "shop"."orders"',
    );
  });

  it('says where text cannot be read', () => {
    expect(() => resolveModelReferences("SELECT 1\nFROM shop.orders WHERE x = 'open", devViews)).toThrow(
      SqlLexError,
    );
  });
});
