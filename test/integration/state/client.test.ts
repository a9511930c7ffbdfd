import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../../../config/read.ts';
import { createStateDb, defaultStateDir, stateDbOptions } from '../../../db/client.ts';
import { migrate } from '../../../db/migrate.ts';
import { environments } from '../../../db/schema.ts';
import { createScratchDatabase, type ScratchDatabase } from './harness.ts';

describe('createStateDb', () => {
  let scratch: ScratchDatabase;
  let workDir: string;

  beforeAll(async () => {
    scratch = await createScratchDatabase('client');
    workDir = mkdtempSync(join(tmpdir(), 'sluice-state-'));
  });
  afterAll(async () => {
    await scratch.drop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('uses postgres.js for a postgres URL', async () => {
    const connection = createStateDb({ url: scratch.url });
    try {
      expect(connection.driver).toBe('postgres');
      await migrate(connection.db);
      await connection.db.insert(environments).values({ name: 'prod' });
      expect((await connection.db.select().from(environments)).map((row) => row.name)).toEqual(['prod']);
    } finally {
      await connection.close();
    }
  });

  it("opens the database of the process's SLUICE_DATABASE_URL", async () => {
    const config = readConfig('api', {
      SLUICE_DATABASE_URL: scratch.url.replace(/^postgres:/, 'postgresql:'),
    });
    const connection = createStateDb(stateDbOptions(config, workDir));
    try {
      expect(connection.driver).toBe('postgres');
      await migrate(connection.db);
      expect((await connection.db.select().from(environments)).map((row) => row.name)).toEqual(['prod']);
    } finally {
      await connection.close();
    }
  });

  it('opens a throw-away PGlite for memory://', async () => {
    const first = createStateDb({ url: 'memory://' });
    await migrate(first.db);
    await first.db.insert(environments).values({ name: 'dev' });
    await first.close();
    const second = createStateDb({ url: 'memory://' });
    try {
      expect(second.driver).toBe('pglite');
      await migrate(second.db);
      expect(await second.db.select().from(environments)).toEqual([]);
    } finally {
      await second.close();
    }
  });

  it('keeps an embedded PGlite in the data directory across restarts', async () => {
    const saved = process.env.SLUICE_DATABASE_URL;
    delete process.env.SLUICE_DATABASE_URL;
    try {
      const dataDir = join(workDir, 'nested', 'state');
      const first = createStateDb({ dataDir });
      expect(first.driver).toBe('pglite');
      await migrate(first.db);
      await first.db.insert(environments).values({ name: 'pr_42' });
      await first.close();
      expect(existsSync(join(dataDir, 'PG_VERSION'))).toBe(true);

      const second = createStateDb({ dataDir });
      try {
        await migrate(second.db);
        expect((await second.db.select().from(environments)).map((row) => row.name)).toEqual(['pr_42']);
      } finally {
        await second.close();
      }
    } finally {
      if (saved !== undefined) process.env.SLUICE_DATABASE_URL = saved;
    }
  });

  it('puts the embedded state in $SLUICE_HOME/state, or .sluice/state in the working directory', () => {
    expect(defaultStateDir('/srv/sluice', '/home/ana/project')).toBe('/srv/sluice/state');
    expect(defaultStateDir(undefined, '/home/ana/project')).toBe('/home/ana/project/.sluice/state');
    expect(defaultStateDir('  ', '/home/ana/project')).toBe('/home/ana/project/.sluice/state');
    expect(stateDbOptions(readConfig('api', { SLUICE_HOME: 'home' }), '/home/ana/project')).toEqual({
      dataDir: '/home/ana/project/home/state',
    });
    expect(stateDbOptions(readConfig('scheduler', {}), '/home/ana/project')).toEqual({
      dataDir: '/home/ana/project/.sluice/state',
    });
  });

  it('rejects other URLs without repeating them', () => {
    const attempt = () => createStateDb({ url: 'mysql://admin:hunter2@db.internal/state' });
    expect(attempt).toThrow(
      'state database URL: expected a postgres://, postgresql:// or memory:// URL, got a mysql: URL',
    );
    try {
      attempt();
    } catch (error) {
      expect(String(error)).not.toContain('hunter2');
    }
    expect(() => createStateDb({ url: 'not a url' })).toThrow('got a value that is not a URL');
  });
});
