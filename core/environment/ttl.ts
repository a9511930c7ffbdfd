/**
 * An environment's time to live (`sluice plan dev --ttl 3d`, `sluice: environment_ttl: 7d` in
 * config.yaml): a whole number and a unit, minutes to weeks. Once a plan with a TTL is applied, the
 * environment expires that long after, and the janitor deletes it when it has.
 */

const TTL_UNITS_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** The longest TTL: ten years, so an expiry stays a valid date. */
export const MAX_TTL_MS = 3_650 * TTL_UNITS_MS.d;

export class TtlError extends Error {
  constructor(
    readonly value: string,
    where: string,
  ) {
    super(
      `${where}: ${JSON.stringify(value)} is not an environment TTL (expected a whole number and a unit, m, h, d or w, such as 12h, 3d or 2w, at most 10 years)`,
    );
    this.name = 'TtlError';
  }
}

/** The TTL in ms; `where` names the flag, field or file the text came from. */
export function parseTtl(text: string, where: string): number {
  const match = /^\s*([1-9]\d{0,6})\s*([mhdw])\s*$/.exec(text);
  if (!match) throw new TtlError(text, where);
  const ms = Number(match[1]) * TTL_UNITS_MS[match[2] as keyof typeof TTL_UNITS_MS];
  if (ms > MAX_TTL_MS) throw new TtlError(text, where);
  return ms;
}
