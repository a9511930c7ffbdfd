/** What a webhook may be; every problem names its field and value. */
import { describe, expect, it } from 'vitest';
import { webhookProblems } from '../../../core/notifications/webhook-input.ts';

const good = {
  environment: 'pr_*',
  url: 'https://hooks.example.com/x',
  events: ['run.failed'],
  format: 'json',
};

describe('webhook input', () => {
  it('accepts http and https URLs, patterns, known events and formats', () => {
    expect(webhookProblems(good)).toEqual([]);
    expect(
      webhookProblems({ ...good, url: 'http://127.0.0.1:9000/h', format: 'slack', environment: '*' }),
    ).toEqual([]);
  });

  it('refuses anything else, naming the field', () => {
    expect(webhookProblems({ ...good, url: 'ftp://example.com/x' })).toEqual([
      'url: "ftp://example.com/x" uses ftp; only http and https are allowed',
    ]);
    expect(webhookProblems({ ...good, url: 'example.com' })).toEqual([
      'url: "example.com" is not a URL (expected http://… or https://…)',
    ]);
    expect(webhookProblems({ ...good, url: 'https://user:pw@example.com/' })[0]).toMatch(
      /^url: must not carry/,
    );
    expect(webhookProblems({ ...good, events: [] })[0]).toMatch(/^events: name at least one of run\.failed/);
    expect(webhookProblems({ ...good, events: ['run.failed', 'run.exploded'] })[0]).toMatch(
      /^events: unknown event "run\.exploded"/,
    );
    expect(webhookProblems({ ...good, environment: 'Prod' })[0]).toMatch(
      /^environment: environment pattern "Prod"/,
    );
    expect(webhookProblems({ ...good, format: 'teams' })).toEqual([
      'format: "teams" is not one of json, slack',
    ]);
  });
});
