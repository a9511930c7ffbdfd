/**
 * `sluice fetchdf` against `sluice dev` on the quickstart (DuckDB): the run executor holds the
 * warehouse file, which no other process can open while the stack runs, and the query goes through
 * it. A write is refused and changes nothing; the row limit and the timeout hold.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExampleStack, startExampleStack } from '../../support/example-stack.ts';
import { runSluice } from '../../support/sluice-process.ts';

let example: ExampleStack;
let project: string;

beforeAll(async () => {
  example = await startExampleStack({ example: 'quickstart' });
  project = example.project;
}, 240_000);

afterAll(async () => {
  await example?.stop();
});

function fetchdf(...args: string[]) {
  return runSluice(['fetchdf', ...args, '--url', example.api], {});
}

describe('sluice fetchdf against sluice dev (DuckDB)', () => {
  it('reads the warehouse through the executor while no other process can open the file', async () => {
    // another process is refused the file the executor holds
    const other = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { DuckDBInstance } from '@duckdb/node-api'; await DuckDBInstance.create(${JSON.stringify(join(project, 'warehouse.duckdb'))});`,
      ],
      { cwd: fileURLToPath(new URL('../../../', import.meta.url)), encoding: 'utf8' },
    );
    expect(other.status).not.toBe(0);
    expect(other.stderr).toMatch(/lock/i);

    const top = await fetchdf(
      'SELECT customer_id, lifetime_spend FROM shop.top_customers ORDER BY lifetime_spend DESC',
    );
    expect(top.stderr).toBe('');
    expect(top.code).toBe(0);
    const lines = top.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^customer_id\s+lifetime_spend$/);
    expect(lines).toHaveLength(6);

    const json = await fetchdf('SELECT count(*) AS n FROM shop.raw_orders', '--json');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      environment: 'prod',
      gateway: 'local',
      models: ['shop.raw_orders'],
      columns: [{ name: 'n', type: 'BIGINT' }],
      rows: [[10]],
    });
  });

  it('refuses a write and changes nothing', async () => {
    for (const [sql, kind] of [
      ['DROP TABLE shop.raw_orders', 'DROP'],
      ['INSERT INTO shop.raw_orders SELECT * FROM shop.raw_orders', 'INSERT'],
      ["COPY shop.raw_orders TO '/tmp/sluice-fetchdf-copy.csv'", 'COPY'],
    ] as const) {
      const refused = await fetchdf(sql);
      expect(refused.code, sql).toBe(2);
      expect(refused.stderr, sql).toContain(`not a ${kind} statement; nothing was run`);
    }
    const count = await fetchdf('SELECT count(*) AS n FROM shop.raw_orders', '--csv');
    expect(count.stdout).toBe('n\r\n10\r\n');
  });

  it('holds the row limit and the timeout', async () => {
    const limited = await fetchdf('SELECT * FROM shop.raw_orders', '--limit', '3', '--csv');
    expect(limited.code).toBe(0);
    expect(limited.stdout.trimEnd().split('\r\n')).toHaveLength(4);
    expect(limited.stderr).toContain('3 rows shown: the query has more; raise --limit');

    const started = Date.now();
    const slow = await fetchdf(
      'SELECT count(*) FROM range(10000000000) a, range(10) b',
      '--timeout',
      '500ms',
    );
    expect(slow.code).toBe(2);
    expect(slow.stderr).toContain('ran longer than its timeout of 500 ms and was stopped');
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
