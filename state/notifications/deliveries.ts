/**
 * Deliveries of events to webhooks and every attempt at each. A webhook is given each event key
 * once: adding a delivery whose key it already has adds nothing, which is what makes a stuck run
 * reported once however many sweeps see it.
 */
import { randomBytes } from 'node:crypto';
import { and, asc, desc, eq, inArray } from 'drizzle-orm';
import type { NotificationBody } from '../../core/notifications/events.ts';
import type { StateDb } from '../../db/client.ts';
import { notificationAttempts, notificationDeliveries } from '../../db/schema.ts';
import { iso } from '../validate.ts';

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface NewDelivery {
  webhookId: string;
  eventType: string;
  eventKey: string;
  environment: string;
  body: NotificationBody;
}

export interface DeliveryAttempt {
  attempt: number;
  at: string;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

export interface DeliveryRecord {
  id: string;
  webhookId: string;
  eventType: string;
  eventKey: string;
  environment: string;
  status: DeliveryStatus;
  createdAt: string;
  body: NotificationBody;
  attempts: DeliveryAttempt[];
}

/** Adds the deliveries a webhook does not have yet (by event key); the ids of those added. */
export async function addDeliveries(db: StateDb, deliveries: readonly NewDelivery[]): Promise<string[]> {
  if (deliveries.length === 0) return [];
  const rows = await db
    .insert(notificationDeliveries)
    .values(
      deliveries.map((d) => ({
        id: `dlv_${randomBytes(8).toString('hex')}`,
        webhookId: d.webhookId,
        eventType: d.eventType,
        eventKey: d.eventKey,
        environment: d.environment,
        body: d.body as unknown as Record<string, unknown>,
      })),
    )
    .onConflictDoNothing({ target: [notificationDeliveries.webhookId, notificationDeliveries.eventKey] })
    .returning({ id: notificationDeliveries.id });
  return rows.map((r) => r.id);
}

export interface AttemptInput {
  deliveryId: string;
  attempt: number;
  at: Date;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  /** the delivery's status after this attempt. */
  status: DeliveryStatus;
}

/** Records an attempt (a retried activity recording the same attempt again changes nothing) and the delivery's status. */
export async function recordAttempt(db: StateDb, input: AttemptInput): Promise<void> {
  await db.transaction(async (tx) => {
    await tx
      .insert(notificationAttempts)
      .values({
        deliveryId: input.deliveryId,
        attempt: input.attempt,
        at: input.at,
        statusCode: input.statusCode,
        error: input.error,
        durationMs: Math.max(0, Math.round(input.durationMs)),
      })
      .onConflictDoNothing();
    await tx
      .update(notificationDeliveries)
      .set({ status: input.status })
      .where(eq(notificationDeliveries.id, input.deliveryId));
  });
}

type Row = typeof notificationDeliveries.$inferSelect;

function toRecord(row: Row, attempts: DeliveryAttempt[]): DeliveryRecord {
  return {
    id: row.id,
    webhookId: row.webhookId,
    eventType: row.eventType,
    eventKey: row.eventKey,
    environment: row.environment,
    status: row.status,
    createdAt: iso(row.createdAt),
    body: row.body as unknown as NotificationBody,
    attempts,
  };
}

async function attemptsOf(db: StateDb, ids: readonly string[]): Promise<Map<string, DeliveryAttempt[]>> {
  const byDelivery = new Map<string, DeliveryAttempt[]>();
  if (ids.length === 0) return byDelivery;
  const rows = await db
    .select()
    .from(notificationAttempts)
    .where(inArray(notificationAttempts.deliveryId, [...ids]))
    .orderBy(asc(notificationAttempts.attempt));
  for (const row of rows) {
    const list = byDelivery.get(row.deliveryId) ?? [];
    list.push({
      attempt: row.attempt,
      at: iso(row.at),
      statusCode: row.statusCode,
      error: row.error,
      durationMs: row.durationMs,
    });
    byDelivery.set(row.deliveryId, list);
  }
  return byDelivery;
}

export async function getDelivery(db: StateDb, id: string): Promise<DeliveryRecord | null> {
  const [row] = await db.select().from(notificationDeliveries).where(eq(notificationDeliveries.id, id));
  if (!row) return null;
  return toRecord(row, (await attemptsOf(db, [id])).get(id) ?? []);
}

/** A webhook's deliveries, newest first, each with its attempts in order. */
export async function listDeliveries(
  db: StateDb,
  webhookId: string,
  limit: number,
): Promise<DeliveryRecord[]> {
  const rows = await db
    .select()
    .from(notificationDeliveries)
    .where(and(eq(notificationDeliveries.webhookId, webhookId)))
    .orderBy(desc(notificationDeliveries.createdAt), desc(notificationDeliveries.id))
    .limit(limit);
  const attempts = await attemptsOf(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((row) => toRecord(row, attempts.get(row.id) ?? []));
}

/** Removes deliveries (and their attempts), e.g. one that could not be handed to Temporal. */
export async function deleteDeliveries(db: StateDb, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db.delete(notificationDeliveries).where(inArray(notificationDeliveries.id, [...ids]));
}
