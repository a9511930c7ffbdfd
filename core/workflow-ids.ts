/** Readable workflow ids, so the Web UI's list says what each workflow is. */

export function environmentWorkflowId(environment: string): string {
  return `sluice-env-${environment}`;
}

/** `2026-11-25T10:00:00.000Z` → `20261125T1000Z` (seconds kept when not zero). */
export function compactInstant(ms: number): string {
  const iso = new Date(ms).toISOString();
  const date = iso.slice(0, 10).replaceAll('-', '');
  const hm = iso.slice(11, 16).replace(':', '');
  const s = iso.slice(17, 19);
  return `${date}T${hm}${s === '00' ? '' : s}Z`;
}

/**
 * A scheduled run is named by its cron tick (`sluice-run-prod-20261125T1000Z`); any other run by its
 * reason, the moment it was asked for and a unique suffix (`sluice-run-prod-manual-20261125T1003Z-1f2e3d4c`).
 */
export function runWorkflowId(environment: string, reason: string, at: number, unique?: string): string {
  if (reason === 'schedule') return `sluice-run-${environment}-${compactInstant(at)}`;
  return `sluice-run-${environment}-${reason}-${compactInstant(at)}-${(unique ?? '').slice(0, 8)}`;
}

export function planWorkflowId(planId: string): string {
  return `sluice-plan-${planId}`;
}

/** One deletion per environment at a time: asking again joins the one under way. */
export function deleteEnvironmentWorkflowId(environment: string): string {
  return `sluice-delete-env-${environment}`;
}
