/** The one duration parser: `30s`, `2m`, `1h`, `7d`, `500ms`, or a plain number of seconds. */
export interface DurationOptions {
  /** accept a zero duration (most durations must be longer than 0). */
  allowZero?: boolean;
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export function durationExpectation(options: DurationOptions = {}): string {
  return `expected a duration${options.allowZero ? '' : ' above zero'} such as 30s, 2m, 1h or 500ms`;
}

/** Milliseconds, or undefined when `text` is not a duration (or is zero where zero is refused). */
export function parseDuration(text: string, options: DurationOptions = {}): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(text);
  if (!match) return undefined;
  const ms = Math.round(Number(match[1]) * UNIT_MS[(match[2] ?? 's') as keyof typeof UNIT_MS]);
  return ms > 0 || options.allowZero ? ms : undefined;
}
