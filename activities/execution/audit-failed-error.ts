/**
 * A blocking audit found offending rows. Like every SluiceError (core/errors.ts) it carries a
 * stable `code` for the activity to turn into a Temporal failure: running the same batch again
 * audits the same rows, so it is not retryable.
 */

import { type ErrorDetails, SluiceError } from '../../core/errors.ts';

export class AuditFailedError extends SluiceError<'AUDIT_FAILED'> {
  constructor(
    readonly audit: string,
    readonly model: string,
    readonly failingRows: number,
    readonly gateway?: string,
  ) {
    super(
      'AUDIT_FAILED',
      `audit "${audit}" failed for model "${model}": ${failingRows} offending ${failingRows === 1 ? 'row' : 'rows'}`,
    );
  }

  /** Plain fields for a failure's details. */
  override details(): ErrorDetails {
    return {
      ...super.details(),
      gateway: this.gateway ?? null,
      audit: this.audit,
      model: this.model,
      failingRows: this.failingRows,
    };
  }
}
