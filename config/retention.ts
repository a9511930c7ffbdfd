/** SLUICE_ARTIFACT_RETENTION: how long artifacts are kept, a duration (`30d`), or `forever`. */
import { parseDuration } from './duration.ts';

export const RETENTION_EXPECTATION = 'expected a duration above zero such as 30d or 12h, or "forever"';

/** Milliseconds; null for `forever`; undefined when `text` is neither. */
export function parseRetention(text: string): number | null | undefined {
  if (text.toLowerCase() === 'forever') return null;
  return parseDuration(text);
}

export const DEFAULT_ARTIFACT_RETENTION_MS = 90 * 86_400_000;
