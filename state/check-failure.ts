/**
 * How a caller tells a state function's refusal from a fault: a check on the input that failed
 * (an unknown plan, a plan that no longer applies) is a plain Error without a `code`, while
 * database and connection errors carry one (postgres.js, PGlite, Node's sockets). A refusal is the
 * caller's answer; a fault is worth trying again.
 */
export function isCheckFailure(error: unknown): error is Error {
  return error instanceof Error && !('code' in error);
}
