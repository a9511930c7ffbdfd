import { describe, expect, it } from 'vitest';
import { STORED_PAYLOAD_MARGIN_MS, storedPayloadCutoff } from '../../core/stored-payload-cutoff.ts';

const NOW = Date.parse('2026-03-10T12:00:00Z');
const DAY = 86_400_000;

describe('storedPayloadCutoff', () => {
  it('keeps what closed histories within the retention may name when no workflow is older', () => {
    expect(storedPayloadCutoff({ now: NOW, retentionMs: 3 * DAY, oldestOpenStart: NOW - DAY })).toBe(
      NOW - 3 * DAY - STORED_PAYLOAD_MARGIN_MS,
    );
    expect(storedPayloadCutoff({ now: NOW, retentionMs: 3 * DAY, oldestOpenStart: null })).toBe(
      NOW - 3 * DAY - STORED_PAYLOAD_MARGIN_MS,
    );
  });

  it('keeps everything stored since the oldest open workflow began, however long ago', () => {
    // an environment that has slept on a monthly cron since before the retention
    expect(storedPayloadCutoff({ now: NOW, retentionMs: 3 * DAY, oldestOpenStart: NOW - 40 * DAY })).toBe(
      NOW - 40 * DAY - STORED_PAYLOAD_MARGIN_MS,
    );
  });
});
