/**
 * SLUICE_RUN_PRIORITY: which environments get a free run slot first, as `prod=10,staging=5`. A
 * higher number goes first; an environment not named has priority 0.
 */

export const RUN_PRIORITY_EXPECTATION =
  'expected environment=priority pairs separated by commas, each priority a whole number, e.g. prod=10,staging=5';

/** The priorities by environment, or undefined when the text is not such a list. */
export function parseRunPriority(text: string): Record<string, number> | undefined {
  const priorities: Record<string, number> = {};
  if (text.trim() === '') return priorities;
  for (const pair of text.split(',')) {
    const match = /^\s*([A-Za-z0-9_-]+)\s*=\s*(-?\d{1,6})\s*$/.exec(pair);
    if (!match || Object.hasOwn(priorities, match[1]!)) return undefined;
    priorities[match[1]!] = Number(match[2]);
  }
  return priorities;
}
