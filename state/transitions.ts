/**
 * Status machines of runs, plans and model executions. Moving to the status a row already has is
 * allowed and changes nothing, so a retried activity that reports the same outcome twice is
 * harmless; any other move out of a final status is refused.
 */

export type TransitionTable<S extends string> = Record<S, readonly S[]>;

/** Returns false when the row already has `to` (nothing to write), true when the move is allowed. */
export function checkTransition<S extends string>(
  entity: string,
  id: string,
  from: S,
  to: S,
  table: TransitionTable<S>,
): boolean {
  if (from === to) return false;
  if (!table[from].includes(to)) {
    const allowed = table[from];
    throw new Error(
      `${entity} "${id}" cannot go from ${from} to ${to}` +
        (allowed.length > 0 ? ` (from ${from} it may go to ${allowed.join(', ')})` : ` (${from} is final)`),
    );
  }
  return true;
}
