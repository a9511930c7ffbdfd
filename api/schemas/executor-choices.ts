/** The values the executors' role and status filters accept; plain lists, so the CLI offers them without loading zod. */
export const EXECUTOR_ROLES = ['run', 'apply'] as const;
export const EXECUTOR_STATUSES = ['up', 'stopped', 'gone'] as const;

export type ExecutorStatus = (typeof EXECUTOR_STATUSES)[number];
