/**
 * The `slack` format: a body Slack's incoming webhooks accept (`text` for notifications and
 * clients without blocks, `blocks` for the message), made from the same event as the JSON body.
 */
import type { NotificationBody } from './events.ts';

export interface SlackMessage {
  text: string;
  blocks: Array<Record<string, unknown>>;
}

const TITLES: Record<NotificationBody['type'], string> = {
  'run.failed': ':red_circle: Run failed',
  'run.recovered': ':large_green_circle: Run recovered',
  'run.stuck': ':hourglass: Run stuck',
  'plan.applied': ':white_check_mark: Plan applied',
  'plan.failed': ':red_circle: Plan failed',
  'model.over_scheduled': ':warning: Model over-scheduled',
  test: ':wave: Test notification',
};

/** Slack's mrkdwn needs `&`, `<` and `>` escaped. */
function mrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A section's text may not pass 3000 characters. */
function clip(text: string, max = 2900): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export function slackMessage(body: NotificationBody): SlackMessage {
  const subject = body.runId ? `run ${body.runId}` : body.planId ? `plan ${body.planId}` : 'sluice';
  const text = `${TITLES[body.type]} in ${body.environment}: ${subject}`;
  const fields = [
    `*Environment*\n${mrkdwn(body.environment)}`,
    `*Status*\n${mrkdwn(body.status)}`,
    ...(body.runId ? [`*Run*\n${mrkdwn(body.runId)}`] : []),
    ...(body.planId ? [`*Plan*\n${mrkdwn(body.planId)}`] : []),
  ];
  const blocks: Array<Record<string, unknown>> = [
    {
      type: 'header',
      text: { type: 'plain_text', text: clip(`${TITLES[body.type]}: ${body.environment}`, 150) },
    },
    { type: 'section', fields: fields.map((f) => ({ type: 'mrkdwn', text: f })) },
  ];
  const models = body.models.filter((m) => m.status !== 'succeeded' || body.type !== 'run.failed');
  if (models.length > 0) {
    const lines = models.map(
      (m) => `• \`${mrkdwn(m.name)}\` ${mrkdwn(m.status)}${m.error ? `: ${mrkdwn(m.error)}` : ''}`,
    );
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(lines.join('\n')) } });
  }
  if (body.error) {
    blocks.push({
      type: 'section',
      text: { type: 'mrkdwn', text: clip(`\`\`\`${mrkdwn(body.error)}\`\`\``) },
    });
  }
  const links = [
    ...(body.links.api ? [`<${body.links.api}|Open in sluice>`] : []),
    ...(body.links.temporal ? [`<${body.links.temporal}|Open in Temporal>`] : []),
  ];
  if (links.length > 0)
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: links.join(' · ') }] });
  return { text, blocks };
}
