/**
 * A plan request the user can fix: a start or end that does not fit the environment, a range that
 * ends before it starts, a base environment that does not exist. It names the field at fault, so
 * the API answers it as a 400 naming that field instead of an internal error.
 */
export class PlanRequestError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'PlanRequestError';
  }
}
