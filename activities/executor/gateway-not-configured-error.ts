/**
 * Work named a gateway this executor has no connection for. Another executor on the same task
 * queue may have it, but Temporal gives no say in which executor takes a task, so retrying cannot
 * be relied on: the failure is not retryable and says how to configure the gateway.
 */

export class GatewayNotConfiguredError extends Error {
  readonly code = 'GATEWAY_NOT_CONFIGURED';
  readonly retryable = false;

  constructor(
    readonly gateway: string,
    readonly executor: string,
    readonly configured: readonly string[],
    readonly taskQueue: string,
  ) {
    const known = configured.length === 0 ? 'none' : configured.map((name) => `"${name}"`).join(', ');
    super(
      `gateway "${gateway}" is not configured on executor ${executor} (its gateways: ${known}); ` +
        `set SLUICE__GATEWAYS__${gateway.toUpperCase()}__CONNECTION__TYPE and the gateway's other ` +
        `connection settings in the environment of every executor serving ${taskQueue}`,
    );
    this.name = 'GatewayNotConfiguredError';
  }

  details(): Record<string, string | number | boolean | null> {
    return {
      code: this.code,
      retryable: this.retryable,
      gateway: this.gateway,
      executor: this.executor,
      configured: this.configured.join(','),
      taskQueue: this.taskQueue,
    };
  }
}
