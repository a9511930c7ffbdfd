// The readiness checks behind /readyz, without HTTP: concurrency and the per-check timeout, the
// state database and gateway checks against real servers, the env file status, and errors that
// never carry a password.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createStateDb } from '../../../db/client.ts';
import { EnginePool } from '../../../engines/pool.ts';
import { envFileCheck, gatewayChecks, runReadinessChecks, stateDbCheck } from '../../../workers/readiness.ts';
import { TEST_DATABASE_URL } from '../../support/postgres.ts';

const dir = mkdtempSync(join(tmpdir(), 'sluice-readiness-'));
const url = new URL(TEST_DATABASE_URL);
const SECRET = 'readiness-password-never-shown';

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('runReadinessChecks', () => {
  it('runs every check at once, gives up on a silent one after the timeout and reports each', async () => {
    let started = 0;
    let allStarted: () => void = () => {};
    const barrier = new Promise<void>((resolve) => {
      allStarted = resolve;
    });
    const begin = () => {
      started++;
      if (started === 3) allStarted();
    };
    const report = await runReadinessChecks(
      {
        // passes only once the other two have started: checks run one after another would time out
        fast: async () => {
          begin();
          await barrier;
        },
        failing: async () => {
          begin();
          throw new Error(`connect failed for postgres://sluice:${SECRET}@db/x with password=${SECRET}`);
        },
        silent: () => {
          begin();
          return new Promise(() => {});
        },
      },
      300,
    );
    expect(report.status).toBe('not ready');
    expect(Object.keys(report.checks)).toEqual(['failing', 'fast', 'silent']);
    expect(report.checks.fast).toEqual({ ok: true, ms: expect.any(Number) });
    expect(report.checks.silent).toEqual({
      ok: false,
      ms: expect.any(Number),
      error: 'no answer within 300 ms',
    });
    expect(report.checks.silent!.ms).toBeGreaterThanOrEqual(299);
    expect(report.checks.failing?.ok).toBe(false);
    expect(report.checks.failing?.error).toBe(
      'connect failed for postgres://sluice:[redacted]@db/x with password=[redacted]',
    );
    expect(JSON.stringify(report)).not.toContain(SECRET);
  });

  it('is ready when every check passes, including a synchronous throw turned into a failure', async () => {
    expect(await runReadinessChecks({ a: async () => {}, b: async () => {} }, 1000)).toEqual({
      status: 'ready',
      checks: { a: { ok: true, ms: expect.any(Number) }, b: { ok: true, ms: expect.any(Number) } },
    });
    const sync = await runReadinessChecks(
      {
        boom: () => {
          throw new Error('thrown before any promise');
        },
      },
      1000,
    );
    expect(sync.checks.boom).toMatchObject({ ok: false, error: 'thrown before any promise' });
  });
});

describe('the checks', () => {
  it('asks the state database for select 1, and reports one that cannot be reached', async () => {
    const good = createStateDb({ url: TEST_DATABASE_URL });
    const embedded = createStateDb({ url: 'memory://' });
    const unreachable = createStateDb({ url: `postgres://postgres:${SECRET}@127.0.0.1:1/sluice` });
    try {
      const report = await runReadinessChecks(
        {
          'state-db': stateDbCheck(good.db),
          embedded: stateDbCheck(embedded.db),
          unreachable: stateDbCheck(unreachable.db),
        },
        5000,
      );
      expect(report.checks['state-db']?.ok).toBe(true);
      expect(report.checks.embedded?.ok).toBe(true);
      expect(report.checks.unreachable?.ok).toBe(false);
      expect(report.checks.unreachable?.error).toMatch(/ECONNREFUSED|connect/);
      expect(JSON.stringify(report)).not.toContain(SECRET);
    } finally {
      await Promise.all([good.close(), embedded.close(), unreachable.close()]);
    }
  });

  it('pings each gateway the pool serves now, by name', async () => {
    const pool = new EnginePool(
      {
        warehouse: {
          type: 'postgres',
          host: url.hostname,
          port: Number(url.port || 5432),
          user: decodeURIComponent(url.username || 'postgres'),
          database: url.pathname.slice(1) || 'postgres',
          password: SECRET,
          sslmode: 'disable',
        },
        closed: {
          type: 'postgres',
          host: '127.0.0.1',
          port: 1,
          user: 'sluice',
          database: 'nowhere',
          password: SECRET,
          sslmode: 'disable',
        },
        local: { type: 'duckdb', database: 'local.duckdb' },
      },
      { baseDir: dir },
    );
    try {
      const report = await runReadinessChecks(gatewayChecks(pool), 5000);
      expect(Object.keys(report.checks)).toEqual(['gateway:closed', 'gateway:local', 'gateway:warehouse']);
      expect(report.status).toBe('not ready');
      expect(report.checks['gateway:warehouse']?.ok).toBe(true);
      expect(report.checks['gateway:local']?.ok).toBe(true);
      expect(report.checks['gateway:closed']).toMatchObject({ ok: false });
      expect(report.checks['gateway:closed']?.error).toContain('gateway "closed": cannot connect to');
      expect(JSON.stringify(report)).not.toContain(SECRET);

      pool.update({ local: { type: 'duckdb', database: 'local.duckdb' } });
      expect(await runReadinessChecks(gatewayChecks(pool), 5000)).toEqual({
        status: 'ready',
        checks: { 'gateway:local': { ok: true, ms: expect.any(Number) } },
      });
    } finally {
      await pool.closeAll();
    }
  });

  it("reports the env file's last load", async () => {
    let status:
      | { ok: true; file: string; loadedAt: number }
      | { ok: false; file: string; loadedAt: number; error: string } = {
      ok: true,
      file: '/x.env',
      loadedAt: 0,
    };
    const check = { 'env-file': envFileCheck(() => status) };
    expect((await runReadinessChecks(check, 1000)).status).toBe('ready');
    status = { ok: false, file: '/x.env', loadedAt: 1, error: '/x.env line 4: expected KEY=VALUE' };
    expect((await runReadinessChecks(check, 1000)).checks['env-file']).toMatchObject({
      ok: false,
      error: '/x.env line 4: expected KEY=VALUE',
    });
  });
});
