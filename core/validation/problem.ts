/**
 * What a failed check says: the field at fault (as the request names it, `restate.start`) and one
 * line saying what was wrong and what would be accepted. Every check in this folder returns one of
 * these, or null when the value is fine, so the API, the CLI and the workflows' update validators
 * can each report it their own way.
 */
export interface Problem {
  field: string;
  message: string;
}

/** The first problem of a list of checks, or null when they all pass. */
export function firstProblem(...problems: ReadonlyArray<Problem | null>): Problem | null {
  return problems.find((problem) => problem !== null) ?? null;
}
