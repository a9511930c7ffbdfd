/** The state functions, by concern; each takes the state database as its first argument. */
export * from './audit-log.ts';
export * from './connections.ts';
export * from './environments.ts';
export * from './executions.ts';
export * from './intervals.ts';
export type { Page } from './pagination.ts';
export * from './pauses.ts';
export * from './plans.ts';
export * from './runs.ts';
export * from './snapshots.ts';
export type { Instant } from './validate.ts';
