/** The address of a workflow in Temporal's Web UI (SLUICE_TEMPORAL_UI_URL), for notifications and CI summaries. */
export function temporalWorkflowLink(temporalUi: string, namespace: string, workflowId: string): string {
  return `${temporalUi.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
