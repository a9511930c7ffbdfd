/**
 * An executor stopped a batch because the process went past its memory limit
 * (`SLUICE_MAX_MEMORY_MB`), or DuckDB refused to go past its own `memory_limit`. The batch was
 * stopped and rolled back; the executor stays up for other work. Running the same batch again
 * needs the same memory, so the failure is not retryable: the model needs a bigger executor or a
 * smaller batch.
 */

import { type ErrorDetails, SluiceError } from '../../core/errors.ts';

export class MemoryLimitError extends SluiceError<'MEMORY_LIMIT'> {
  constructor(
    message: string,
    readonly executor: string,
    /** what was running: the model, or the activity's phase. */
    readonly work: string,
    readonly limitMb: number | undefined,
    /** the process's resident set size when the limit was passed; undefined when DuckDB refused. */
    readonly rssMb: number | undefined,
  ) {
    super('MEMORY_LIMIT', message);
  }

  override details(): ErrorDetails {
    return {
      ...super.details(),
      executor: this.executor,
      work: this.work,
      limitMb: this.limitMb ?? null,
      rssMb: this.rssMb ?? null,
    };
  }
}
