import postgres from 'postgres';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_DATABASE_URL } from '../support/postgres.ts';

describe('PostgreSQL test server', () => {
  const sql = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  afterAll(() => sql.end());

  it('is reachable and transactional', async () => {
    const [row] = await sql`select current_database() as db, 1 + 1 as two`;
    expect(row?.two).toBe(2);
    const rolledBack = sql.begin(async (tx) => {
      await tx`create temporary table sluice_smoke (x int)`;
      throw new Error('roll back');
    });
    await expect(rolledBack).rejects.toThrow('roll back');
  });
});
