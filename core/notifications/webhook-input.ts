/**
 * What a webhook may be: an http or https URL without credentials in it, an environment name or
 * pattern, at least one known event, and a format. Each problem names the field and the value.
 */
import { patternProblem } from '../environment-patterns.ts';
import { NOTIFICATION_EVENTS, type NotificationEventType } from './events.ts';

export const WEBHOOK_FORMATS = ['json', 'slack'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export interface WebhookInput {
  environment: string;
  url: string;
  events: NotificationEventType[];
  format: WebhookFormat;
}

const MAX_URL_LENGTH = 2048;

/** Why `url` cannot be a webhook's URL, or undefined when it can. */
export function webhookUrlProblem(url: string): string | undefined {
  if (url.length > MAX_URL_LENGTH) return `url: must be at most ${MAX_URL_LENGTH} characters`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `url: ${JSON.stringify(url)} is not a URL (expected http://… or https://…)`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return `url: ${JSON.stringify(url)} uses ${parsed.protocol.replace(/:$/, '')}; only http and https are allowed`;
  }
  if (parsed.username !== '' || parsed.password !== '') {
    return 'url: must not carry a user name or password (the signature authenticates sluice)';
  }
  return undefined;
}

/** Why `events` cannot be a webhook's events, or undefined when they can. */
export function webhookEventsProblem(events: readonly string[]): string | undefined {
  if (events.length === 0) return `events: name at least one of ${NOTIFICATION_EVENTS.join(', ')}`;
  const unknown = events.filter((e) => !(NOTIFICATION_EVENTS as readonly string[]).includes(e));
  if (unknown.length > 0) {
    return `events: unknown event ${unknown.map((e) => JSON.stringify(e)).join(', ')} (known: ${NOTIFICATION_EVENTS.join(', ')})`;
  }
  return undefined;
}

/** Every problem of `input`, each naming its field; empty when it is a valid webhook. */
export function webhookProblems(input: {
  environment: string;
  url: string;
  events: readonly string[];
  format: string;
}): string[] {
  const pattern = patternProblem(input.environment);
  return [
    ...(pattern ? [`environment: ${pattern}`] : []),
    webhookUrlProblem(input.url),
    webhookEventsProblem(input.events),
    (WEBHOOK_FORMATS as readonly string[]).includes(input.format)
      ? undefined
      : `format: ${JSON.stringify(input.format)} is not one of ${WEBHOOK_FORMATS.join(', ')}`,
  ].filter((p): p is string => p !== undefined);
}
