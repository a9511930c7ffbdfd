/** The folder artifact store on a real disk: writes, reads, lists, removes, and stays in its root. */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FolderArtifactStore } from '../../../artifacts/folder-store.ts';

describe('folder artifact store', () => {
  let dir: string;
  let store: FolderArtifactStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-artifacts-'));
    store = new FolderArtifactStore(join(dir, 'artifacts'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes, reads back, overwrites and lists by prefix', async () => {
    await store.put('runs/r1/run_results.json', '{"a":1}', 'application/json');
    await store.put('runs/r1/compiled/m/full.sql', 'SELECT 1;', 'application/sql');
    await store.put('runs/r10/run_results.json', '{}', 'application/json');
    await store.put('runs/r1/run_results.json', '{"a":2}', 'application/json');
    expect(new TextDecoder().decode((await store.get('runs/r1/run_results.json'))!)).toBe('{"a":2}');
    expect(await store.get('runs/r2/run_results.json')).toBeNull();
    const listed = await store.list('runs/r1/');
    expect(listed.map((a) => [a.key, a.size])).toEqual([
      ['runs/r1/compiled/m/full.sql', 9],
      ['runs/r1/run_results.json', 7],
    ]);
    expect(listed.every((a) => a.lastModified > 0)).toBe(true);
    expect((await store.list('runs/')).map((a) => a.key)).toHaveLength(3);
    expect(await store.list('plans/')).toEqual([]);
  });

  it('removes artifacts and the folders they leave empty, and not a missing one', async () => {
    await store.put('runs/r1/compiled/m/full.sql', 'x', 'application/sql');
    await store.put('runs/r1/run_results.json', '{}', 'application/json');
    await store.put('runs/r2/run_results.json', '{}', 'application/json');
    await store.remove(['runs/r1/compiled/m/full.sql', 'runs/r1/run_results.json', 'runs/r1/gone.json']);
    expect(readdirSync(join(dir, 'artifacts', 'runs'))).toEqual(['r2']);
  });

  it('never shows a half-written artifact in its list', async () => {
    writeFileSync(join(dir, 'stray'), '');
    await store.put('runs/r1/run_results.json', '{}', 'application/json');
    writeFileSync(join(dir, 'artifacts', 'runs', 'r1', 'run_results.json.99.1.partial'), '{');
    expect((await store.list('runs/')).map((a) => a.key)).toEqual(['runs/r1/run_results.json']);
  });

  it.each(['../outside.json', 'runs/../../outside.json', '/etc/passwd', 'runs/r1/./x'])(
    'refuses the key %j and writes nothing outside its root',
    async (key) => {
      await expect(store.put(key, 'x', 'text/plain')).rejects.toThrow(/artifact path/);
      await expect(store.get(key)).rejects.toThrow(/artifact path/);
      await expect(store.remove([key])).rejects.toThrow(/artifact path/);
      expect(readdirSync(dir)).toEqual([]);
    },
  );
});
