import { describe, expect, it } from 'vitest';
import { type AuditEntry, appendAudit, listAudit } from '../../../state/audit-log.ts';
import { DRIVERS, useStateDb } from './harness.ts';

describe.each(DRIVERS)('audit log on %s', (driver) => {
  const state = useStateDb(driver, 'audit');

  it('appends entries and reads them back newest first', async () => {
    const paused = await appendAudit(state.db, {
      actor: 'ana',
      action: 'environment.pause',
      target: 'prod',
      environment: 'prod',
      reason: 'maintenance',
      details: { models: null, until: '2024-03-02' },
      at: '2024-03-01T10:00:00Z',
    });
    expect(paused).toEqual({
      id: 1,
      at: '2024-03-01T10:00:00.000Z',
      actor: 'ana',
      action: 'environment.pause',
      target: 'prod',
      environment: 'prod',
      reason: 'maintenance',
      details: { models: null, until: '2024-03-02' },
    });
    const submitted = await appendAudit(state.db, { actor: 'bo', action: 'plan.submit', target: 'plan-7' });
    expect(submitted).toMatchObject({ id: 2, environment: null, reason: null, details: null });
    expect(Date.now() - Date.parse(submitted.at)).toBeLessThan(60_000);

    const page = await listAudit(state.db);
    expect(page.items.map((entry) => entry.id)).toEqual([2, 1]);
    expect(page.nextCursor).toBeNull();
    expect((await listAudit(state.db, { environment: 'prod' })).items.map((entry) => entry.id)).toEqual([1]);
    expect(
      (await listAudit(state.db, { actor: 'bo', action: 'plan.submit' })).items.map((e) => e.id),
    ).toEqual([2]);
    expect((await listAudit(state.db, { target: 'plan-7' })).items.map((e) => e.id)).toEqual([2]);
    expect((await listAudit(state.db, { until: '2024-03-01T10:00:00.001Z' })).items.map((e) => e.id)).toEqual(
      [1],
    );
    expect((await listAudit(state.db, { since: '2024-03-01T10:00:00.001Z' })).items.map((e) => e.id)).toEqual(
      [2],
    );
  });

  it('pages through entries with equal times exactly once', async () => {
    const at = Date.parse('2024-03-01T10:00:00Z');
    for (let index = 0; index < 14; index++) {
      await appendAudit(state.db, { actor: 'ana', action: `step.${index}`, at: at + (index % 3) * 1_000 });
    }
    const seen: AuditEntry[] = [];
    let cursor: string | null = null;
    do {
      const page = await listAudit(state.db, { limit: 4, ...(cursor ? { cursor } : {}) });
      seen.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.map((entry) => entry.id)).toEqual([12, 9, 6, 3, 14, 11, 8, 5, 2, 13, 10, 7, 4, 1]);
  });

  it('names the bad field and writes nothing', async () => {
    await expect(appendAudit(state.db, { actor: '', action: 'x' })).rejects.toThrow(
      'actor must be a non-empty string (got "")',
    );
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(appendAudit(state.db, { actor: 'ana', action: 'x', details: cyclic })).rejects.toThrow(
      'details must be a JSON value',
    );
    await expect(
      appendAudit(state.db, { actor: 'ana', action: 'x', details: { note: 'a\u0000b' } }),
    ).rejects.toThrow('details must not contain NUL characters');
    await expect(
      listAudit(state.db, { cursor: Buffer.from('["x","y"]').toString('base64url') }),
    ).rejects.toThrow('cursor is not one this list returned');
    expect((await listAudit(state.db)).items).toEqual([]);
  });
});
