/**
 * Work named a gateway this executor has no connection for. Another executor on the same task
 * queue may have it, but Temporal gives no say in which executor takes a task, so retrying cannot
 * be relied on: the failure is not retryable and says how to configure the gateway.
 *
 * When the work brought the gateway's scheduler-managed connection and this executor could not open
 * it (no SLUICE_ENCRYPTION_KEY, or not the key it was sealed with), the message says so and names
 * the key id, never the key.
 */

import { type ErrorDetails, SluiceError } from '../../core/errors.ts';

export class GatewayNotConfiguredError extends SluiceError<'GATEWAY_NOT_CONFIGURED'> {
  constructor(
    readonly gateway: string,
    readonly executor: string,
    readonly configured: readonly string[],
    readonly taskQueue: string,
    /** why the scheduler-managed connection that came with the work cannot be used. */
    readonly managedProblem?: string,
  ) {
    const known = configured.length === 0 ? 'none' : configured.map((name) => `"${name}"`).join(', ');
    const variable = `SLUICE__GATEWAYS__${gateway.toUpperCase()}__CONNECTION__TYPE`;
    super(
      'GATEWAY_NOT_CONFIGURED',
      managedProblem === undefined
        ? `gateway "${gateway}" is not configured on executor ${executor} (its gateways: ${known}); ` +
            `set ${variable} and the gateway's other ` +
            `connection settings in the environment of every executor serving ${taskQueue}`
        : `gateway "${gateway}" is not configured on executor ${executor} (its gateways: ${known}) ` +
            `and the scheduler-managed connection that came with the work cannot be opened: ${managedProblem}; ` +
            `give every executor serving ${taskQueue} that key in SLUICE_ENCRYPTION_KEY ` +
            `(or SLUICE_ENCRYPTION_KEY_PREVIOUS), or set ${variable} and the gateway's other connection ` +
            'settings in their environment',
    );
  }

  override details(): ErrorDetails {
    return {
      ...super.details(),
      gateway: this.gateway,
      executor: this.executor,
      configured: this.configured.join(','),
      taskQueue: this.taskQueue,
      managedProblem: this.managedProblem ?? null,
    };
  }
}
