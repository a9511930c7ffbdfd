// Every workflow the scheduler worker registers (the bundle entry point).
export { applyWorkflow } from './apply.ts';
export { artifactSweepWorkflow } from './artifact-sweep.ts';
export { deleteEnvironmentWorkflow } from './delete-environment.ts';
export { environmentWorkflow } from './environment.ts';
export { executorRegistryWorkflow } from './executor-registry.ts';
export { fetchQueryWorkflow } from './fetch-query.ts';
export { janitorRunWorkflow, janitorWorkflow } from './janitor.ts';
export { notificationsWorkflow } from './notifications.ts';
export { notifierWorkflow } from './notifier.ts';
export { runWorkflow } from './run.ts';
export { runSlotsWorkflow } from './run-slots.ts';
export { testConnectionWorkflow } from './test-connection.ts';
