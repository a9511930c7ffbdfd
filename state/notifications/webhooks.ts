/**
 * Notification webhooks: add, list, read and remove them, and find those told about an event in an
 * environment. Input is checked whole before anything is written (core/notifications/webhook-input.ts).
 */
import { randomBytes } from 'node:crypto';
import { desc, eq } from 'drizzle-orm';
import { patternMatches } from '../../core/environment-patterns.ts';
import type { DeliveredEventType, NotificationEventType } from '../../core/notifications/events.ts';
import { type WebhookFormat, webhookProblems } from '../../core/notifications/webhook-input.ts';
import type { StateDb } from '../../db/client.ts';
import { notificationWebhooks } from '../../db/schema.ts';
import { iso } from '../validate.ts';

export interface WebhookRecord {
  id: string;
  environment: string;
  url: string;
  events: NotificationEventType[];
  format: WebhookFormat;
  createdBy: string;
  createdAt: string;
}

/** A webhook with its signing secret: only for the activity that signs and the reply to its creation. */
export interface WebhookWithSecret extends WebhookRecord {
  secret: string;
}

export interface NewWebhook {
  environment: string;
  url: string;
  events: string[];
  format: string;
  secret: string;
  createdBy: string;
}

export class WebhookInputError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid webhook: ${problems.join('; ')}`);
    this.name = 'WebhookInputError';
  }
}

type Row = typeof notificationWebhooks.$inferSelect;

function toRecord(row: Row): WebhookWithSecret {
  return {
    id: row.id,
    environment: row.environment,
    url: row.url,
    events: row.events as NotificationEventType[],
    format: row.format,
    createdBy: row.createdBy,
    createdAt: iso(row.createdAt),
    secret: row.secret,
  };
}

export function withoutSecret({ secret: _secret, ...record }: WebhookWithSecret): WebhookRecord {
  return record;
}

export async function createWebhook(db: StateDb, input: NewWebhook): Promise<WebhookWithSecret> {
  const problems = webhookProblems(input);
  if (problems.length > 0) throw new WebhookInputError(problems);
  const [row] = await db
    .insert(notificationWebhooks)
    .values({
      id: `wh_${randomBytes(6).toString('hex')}`,
      environment: input.environment,
      url: input.url,
      events: [...new Set(input.events)],
      format: input.format as WebhookFormat,
      secret: input.secret,
      createdBy: input.createdBy,
    })
    .returning();
  return toRecord(row!);
}

export async function listWebhooks(db: StateDb): Promise<WebhookWithSecret[]> {
  const rows = await db
    .select()
    .from(notificationWebhooks)
    .orderBy(desc(notificationWebhooks.createdAt), desc(notificationWebhooks.id));
  return rows.map(toRecord);
}

export async function getWebhook(db: StateDb, id: string): Promise<WebhookWithSecret | null> {
  const [row] = await db.select().from(notificationWebhooks).where(eq(notificationWebhooks.id, id));
  return row ? toRecord(row) : null;
}

/** Removes the webhook and its deliveries; false when there was none. */
export async function deleteWebhook(db: StateDb, id: string): Promise<boolean> {
  const rows = await db
    .delete(notificationWebhooks)
    .where(eq(notificationWebhooks.id, id))
    .returning({ id: notificationWebhooks.id });
  return rows.length > 0;
}

/** The webhooks whose pattern matches `environment` and that asked for `type`. */
export function webhooksFor(
  webhooks: readonly WebhookWithSecret[],
  environment: string,
  type: DeliveredEventType,
): WebhookWithSecret[] {
  return webhooks.filter(
    (w) => (w.events as string[]).includes(type) && patternMatches(w.environment, environment),
  );
}
