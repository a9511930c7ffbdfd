/** Readable workflow ids; the naming is pure and lives in core/, where the environment's state machine names its runs. */
export {
  compactInstant,
  environmentWorkflowId,
  planWorkflowId,
  runWorkflowId,
} from '../core/workflow-ids.ts';
