import { describe, expect, it } from 'vitest';
import { pauses } from '../../../db/schema.ts';
import { activePauses, pause, resume } from '../../../state/pauses.ts';
import { DRIVERS, useStateDb } from './harness.ts';

describe.each(DRIVERS)('pauses on %s', (driver) => {
  const state = useStateDb(driver, 'pauses');

  it('pauses an environment and a model once each and resumes them', async () => {
    const first = await pause(state.db, {
      environment: 'prod',
      reason: 'warehouse maintenance',
      pausedBy: 'ana',
      at: '2024-03-01T10:00:00Z',
    });
    expect(first.created).toBe(true);
    expect(first.pause).toMatchObject({
      environment: 'prod',
      model: null,
      reason: 'warehouse maintenance',
      pausedBy: 'ana',
      pausedAt: '2024-03-01T10:00:00.000Z',
      resumedAt: null,
    });
    const again = await pause(state.db, { environment: 'prod', model: null, pausedBy: 'bo' });
    expect(again).toEqual({ pause: first.pause, created: false });

    const model = await pause(state.db, { environment: 'prod', model: 'db.orders', pausedBy: 'bo' });
    expect(model.created).toBe(true);
    await pause(state.db, { environment: 'dev', model: 'db.orders', pausedBy: 'bo' });
    expect((await activePauses(state.db, { environment: 'prod' })).map((p) => p.model)).toEqual([
      null,
      'db.orders',
    ]);
    expect((await activePauses(state.db)).map((p) => [p.environment, p.model])).toEqual([
      ['dev', 'db.orders'],
      ['prod', null],
      ['prod', 'db.orders'],
    ]);

    const resumed = await resume(state.db, {
      environment: 'prod',
      resumedBy: 'cy',
      at: '2024-03-01T11:00:00Z',
    });
    expect(resumed).toMatchObject({
      id: first.pause.id,
      resumedBy: 'cy',
      resumedAt: '2024-03-01T11:00:00.000Z',
    });
    expect(await resume(state.db, { environment: 'prod', resumedBy: 'cy' })).toBeNull();
    expect((await activePauses(state.db, { environment: 'prod' })).map((p) => p.model)).toEqual([
      'db.orders',
    ]);

    const repaused = await pause(state.db, { environment: 'prod', pausedBy: 'ana' });
    expect(repaused.created).toBe(true);
    expect(repaused.pause.id).not.toBe(first.pause.id);
    expect(await state.db.select().from(pauses)).toHaveLength(4);
  });

  it('creates one pause when the same target is paused concurrently', async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        pause(state.db, { environment: 'prod', model: 'db.a', pausedBy: `user-${index}` }),
      ),
    );
    expect(results.filter((result) => result.created)).toHaveLength(1);
    expect(new Set(results.map((result) => result.pause.id)).size).toBe(1);
    expect(await activePauses(state.db)).toHaveLength(1);
  });

  it('names the bad field', async () => {
    await expect(pause(state.db, { environment: 'prod', pausedBy: '' })).rejects.toThrow(
      'pausedBy must be a non-empty string (got "")',
    );
    await expect(pause(state.db, { environment: 'prod', model: ' db.a', pausedBy: 'ana' })).rejects.toThrow(
      'model must not start or end with whitespace (got " db.a")',
    );
    await expect(resume(state.db, { environment: 'prod', resumedBy: 'ana', at: 'later' })).rejects.toThrow(
      'at must be a Date, an ISO-8601 timestamp or epoch milliseconds (got "later")',
    );
    expect(await state.db.select().from(pauses)).toEqual([]);
  });
});
