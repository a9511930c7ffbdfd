/**
 * An activity input that does not have the shape the executor expects. Like every SluiceError
 * (core/errors.ts) it carries a stable `code`; sending the same input again fails the same way, so
 * it is not retryable.
 */

import { SluiceError } from '../../core/errors.ts';

export class InvalidRequestError extends SluiceError<'INVALID_REQUEST'> {
  constructor(message: string) {
    super('INVALID_REQUEST', message);
  }
}
