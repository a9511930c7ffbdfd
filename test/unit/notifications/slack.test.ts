/** The `slack` format: Slack's `{text, blocks}` made from the JSON event. */
import { describe, expect, it } from 'vitest';
import type { NotificationBody } from '../../../core/notifications/events.ts';
import { slackMessage } from '../../../core/notifications/slack.ts';

const failed: NotificationBody = {
  type: 'run.failed',
  environment: 'prod',
  runId: 'prod-run-1',
  planId: null,
  status: 'failed',
  models: [
    { name: 'a.staged', status: 'failed', error: 'x < 1 & y > 2' },
    { name: 'c.ok', status: 'succeeded' },
  ],
  error: 'a.staged: x < 1 & y > 2',
  occurredAt: '2026-06-01T10:00:05.000Z',
  links: {
    api: 'https://sluice.example.com/api/runs/prod-run-1',
    temporal: 'http://ui/namespaces/default/workflows/prod-run-1',
  },
};

describe('Slack messages', () => {
  it('say what happened in `text` and lay it out in blocks, mrkdwn escaped', () => {
    const message = slackMessage(failed);
    expect(message.text).toBe(':red_circle: Run failed in prod: run prod-run-1');
    expect(message.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: ':red_circle: Run failed: prod' },
    });
    expect(message.blocks[1]).toEqual({
      type: 'section',
      fields: [
        { type: 'mrkdwn', text: '*Environment*\nprod' },
        { type: 'mrkdwn', text: '*Status*\nfailed' },
        { type: 'mrkdwn', text: '*Run*\nprod-run-1' },
      ],
    });
    // a failed run lists the models that did not succeed
    expect(message.blocks[2]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '• `a.staged` failed: x &lt; 1 &amp; y &gt; 2' },
    });
    expect(message.blocks[3]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '```a.staged: x &lt; 1 &amp; y &gt; 2```' },
    });
    expect(message.blocks[4]).toEqual({
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: '<https://sluice.example.com/api/runs/prod-run-1|Open in sluice> · <http://ui/namespaces/default/workflows/prod-run-1|Open in Temporal>',
        },
      ],
    });
    expect(JSON.parse(JSON.stringify(message))).toEqual(message);
  });

  it('keeps a long error within what Slack accepts in a section', () => {
    const message = slackMessage({ ...failed, error: 'e'.repeat(10_000), models: [], links: {} });
    const section = message.blocks.find((b) =>
      (b as { text?: { text: string } }).text?.text.startsWith('```'),
    );
    expect((section as { text: { text: string } }).text.text.length).toBeLessThanOrEqual(3000);
    expect(message.blocks.some((b) => b.type === 'context')).toBe(false);
  });

  it('names a plan for plan events', () => {
    const message = slackMessage({
      ...failed,
      type: 'plan.applied',
      runId: null,
      planId: 'p1',
      status: 'applied',
      models: [],
      error: null,
    });
    expect(message.text).toBe(':white_check_mark: Plan applied in prod: plan p1');
  });
});
