// Every workflow the scheduler worker registers (the bundle entry point).
export { applyWorkflow } from './apply.ts';
export { environmentWorkflow } from './environment.ts';
export { runWorkflow } from './run.ts';
