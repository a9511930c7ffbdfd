/**
 * What the signed-in token may do in an environment, so a page disables the buttons it may not use
 * and says why. The API refuses such requests anyway; this only spares the user the attempt.
 */
export interface Ability {
  allowed: boolean;
  /** the refusal the API would give, when not allowed. */
  reason: string | null;
}

export function useOperate(_environment: string): Ability {
  return { allowed: true, reason: null };
}
