/**
 * A link to a workflow in the Temporal Web UI, whose address the API puts in the page
 * (SLUICE_TEMPORAL_UI_URL; `sluice dev` gives its own dev server's). Nothing when it is not known.
 */

function meta(name: string): string {
  return document.querySelector<HTMLMetaElement>(`meta[name="${name}"]`)?.content ?? '';
}

export function temporalWorkflowUrl(workflowId: string): string | null {
  const base = meta('sluice-temporal-ui').replace(/\/+$/, '');
  if (!base) return null;
  const namespace = meta('sluice-namespace') || 'default';
  return `${base}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}

export function TemporalLink(props: { workflowId: string; label?: string }) {
  const url = temporalWorkflowUrl(props.workflowId);
  if (url === null) return null;
  return (
    <a
      class="temporal-link"
      href={url}
      target="_blank"
      rel="noopener"
      title={`${props.workflowId} in the Temporal Web UI`}
    >
      {props.label ?? 'Temporal'} ↗
    </a>
  );
}
