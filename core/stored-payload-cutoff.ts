/**
 * Which stored payloads (crypto/stored-payload-codec.ts) no history can name any more. A history
 * names a payload stored (or stored again) while its workflow ran, or just before it began (its
 * input, or the input continue-as-new carried); a stored payload's `stored_at` is its latest storing.
 * So a payload last stored before every open workflow began, less a margin, is named by no open
 * history; one also older than the namespace's retention is named by no closed history Temporal
 * still keeps. Those are the ones the janitor deletes.
 */

/** Room for an input stored before its workflow began, and for clocks that disagree. */
export const STORED_PAYLOAD_MARGIN_MS = 60 * 60 * 1000;

/**
 * The instant before which stored payloads may go: the earlier of the oldest open workflow's start
 * (none: no bound) and `now` less the retention, less the margin.
 */
export function storedPayloadCutoff(args: {
  now: number;
  retentionMs: number;
  oldestOpenStart: number | null;
}): number {
  const closedBound = args.now - args.retentionMs;
  const bound = args.oldestOpenStart === null ? closedBound : Math.min(args.oldestOpenStart, closedBound);
  return bound - STORED_PAYLOAD_MARGIN_MS;
}
