/**
 * An activity input that does not have the shape the executor expects. Like the engine errors it
 * carries a stable `code` and a `retryable` flag; sending the same input again fails the same way.
 */

export class InvalidRequestError extends Error {
  readonly code = 'INVALID_REQUEST';
  readonly retryable = false;

  constructor(message: string) {
    super(message);
    this.name = 'InvalidRequestError';
  }

  details(): Record<string, string | number | boolean | null> {
    return { code: this.code, retryable: this.retryable };
  }
}
