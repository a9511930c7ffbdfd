/** What a `sluice worker` process serves; a list of its own so the CLI offers it without loading the worker's configuration code. */
export type WorkerRole = 'scheduler' | 'run' | 'apply';

export const WORKER_ROLES: readonly WorkerRole[] = ['scheduler', 'run', 'apply'];
