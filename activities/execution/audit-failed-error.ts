/**
 * A blocking audit found offending rows. Like the engine errors (engines/errors.ts) it
 * carries a stable `code` and a `retryable` flag for the activity to turn into a Temporal failure:
 * running the same batch again audits the same rows, so it is not retryable.
 */

export class AuditFailedError extends Error {
  readonly code = 'AUDIT_FAILED';
  readonly retryable = false;

  constructor(
    readonly audit: string,
    readonly model: string,
    readonly failingRows: number,
    readonly gateway?: string,
  ) {
    super(
      `audit "${audit}" failed for model "${model}": ${failingRows} offending ${failingRows === 1 ? 'row' : 'rows'}`,
    );
    this.name = 'AuditFailedError';
  }

  /** Plain fields for a failure's details. */
  details(): Record<string, string | number | boolean | null> {
    return {
      code: this.code,
      retryable: this.retryable,
      gateway: this.gateway ?? null,
      audit: this.audit,
      model: this.model,
      failingRows: this.failingRows,
    };
  }
}
