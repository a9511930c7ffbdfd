/**
 * Run slots: how many runs may execute at once across every environment of a Temporal namespace
 * (SLUICE_RUN_SLOTS). One keeper workflow per namespace holds this state and grants leases by
 * signal; this file is its pure logic. A waiter with a higher priority is granted first, waiters of
 * the same priority in the order they asked. Plain JSON, carried across the keeper's continue-as-new.
 */

/** The keeper's workflow id: one per namespace. */
export const RUN_SLOTS_WORKFLOW_ID = 'sluice-run-slots';
/** The keeper's workflow type, and the signals between it and the runs (names, for activities). */
export const RUN_SLOTS_WORKFLOW_TYPE = 'runSlotsWorkflow';
export const ACQUIRE_RUN_SLOT_SIGNAL = 'acquireRunSlot';
export const RELEASE_RUN_SLOT_SIGNAL = 'releaseRunSlot';
export const RUN_SLOT_ANSWER_SIGNAL = 'runSlotAnswer';

/** What a run sends the keeper: itself (its workflow id), its environment's priority, and the limit. */
export interface SlotRequest {
  runId: string;
  environment: string;
  /** higher first. */
  priority: number;
  /** SLUICE_RUN_SLOTS as the run's environment knows it: the latest request's limit is the keeper's. */
  limit: number;
}

export interface SlotWaiter {
  runId: string;
  environment: string;
  priority: number;
  requestedAt: number;
}

export interface SlotHolder extends SlotWaiter {
  grantedAt: number;
}

export interface RunSlots {
  limit: number;
  holders: SlotHolder[];
  /** in the order they asked. */
  waiters: SlotWaiter[];
}

/** The keeper's answer to a run: granted, or queued with the reason shown on the run. */
export type SlotAnswer = { granted: true } | { granted: false; reason: string };

export function emptySlots(limit: number): RunSlots {
  return { limit, holders: [], waiters: [] };
}

/** Why a limit is not one (a whole number of at least 1), or null. */
export function slotLimitProblem(limit: unknown): string | null {
  return typeof limit === 'number' && Number.isInteger(limit) && limit >= 1
    ? null
    : `run slots must be a whole number of at least 1, got ${JSON.stringify(limit)}`;
}

/**
 * Hands free slots to waiters, the highest priority first and first come first within a priority;
 * returns the new holders (each must be told).
 */
export function grantFree(slots: RunSlots, now: number): SlotHolder[] {
  const granted: SlotHolder[] = [];
  while (slots.holders.length < slots.limit && slots.waiters.length > 0) {
    let best = 0;
    for (let i = 1; i < slots.waiters.length; i++) {
      if (slots.waiters[i]!.priority > slots.waiters[best]!.priority) best = i;
    }
    const [waiter] = slots.waiters.splice(best, 1);
    const holder = { ...waiter!, grantedAt: now };
    slots.holders.push(holder);
    granted.push(holder);
  }
  return granted;
}

/**
 * A run asks for a slot: it waits, and is granted at once when a slot is free. Asking again (a
 * retried request) changes nothing, but a holder asking again is told again. Returns who is granted.
 */
export function requestSlot(slots: RunSlots, request: SlotRequest, now: number): SlotHolder[] {
  if (slotLimitProblem(request.limit) === null) slots.limit = request.limit;
  const holder = slots.holders.find((h) => h.runId === request.runId);
  if (holder) return [holder, ...grantFree(slots, now)];
  if (!slots.waiters.some((w) => w.runId === request.runId)) {
    const { runId, environment, priority } = request;
    slots.waiters.push({ runId, environment, priority, requestedAt: now });
  }
  return grantFree(slots, now);
}

/**
 * Runs end (they released their slot, or the keeper found their workflows closed): their slots, and
 * their places in the queue, go. Returns who is granted the freed slots.
 */
export function releaseSlots(slots: RunSlots, runIds: readonly string[], now: number): SlotHolder[] {
  const gone = new Set(runIds);
  slots.holders = slots.holders.filter((h) => !gone.has(h.runId));
  slots.waiters = slots.waiters.filter((w) => !gone.has(w.runId));
  return grantFree(slots, now);
}

/** Whether the run holds a slot. */
export function holdsSlot(slots: RunSlots, runId: string): boolean {
  return slots.holders.some((h) => h.runId === runId);
}

/** What a run is told: granted, or why it waits ("waiting for a run slot: 3 of 3 in use by a, b, c"). */
export function answerFor(slots: RunSlots, runId: string): SlotAnswer {
  if (holdsSlot(slots, runId)) return { granted: true };
  const ids = slots.holders.map((h) => h.runId).join(', ');
  return {
    granted: false,
    reason: `waiting for a run slot: ${slots.holders.length} of ${slots.limit} in use by ${ids}`,
  };
}

/** Every run the keeper knows of, holding or waiting: those whose workflows it checks. */
export function knownRuns(slots: RunSlots): string[] {
  return [...slots.holders.map((h) => h.runId), ...slots.waiters.map((w) => w.runId)];
}

/** An environment's priority from SLUICE_RUN_PRIORITY (`{ prod: 10 }`); 0 when not named. */
export function priorityOf(priorities: Readonly<Record<string, number>>, environment: string): number {
  return Object.hasOwn(priorities, environment) ? priorities[environment]! : 0;
}
