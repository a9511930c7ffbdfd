/** A status word in its colour: succeeded, failed, running, queued, paused, skipped, applied... */

const TONES: Record<string, string> = {
  succeeded: 'good',
  applied: 'good',
  completed: 'good',
  complete: 'good',
  healthy: 'good',
  up: 'good',
  active: 'good',
  failed: 'bad',
  rejected: 'bad',
  timed_out: 'bad',
  stuck: 'bad',
  over_scheduled: 'bad',
  degraded: 'bad',
  stopped: 'quiet',
  gone: 'bad',
  running: 'busy',
  applying: 'busy',
  queued: 'wait',
  waiting: 'wait',
  paused: 'wait',
  blocked: 'wait',
  missing: 'wait',
  cancelled: 'quiet',
  skipped: 'quiet',
};

export function toneOf(status: string): string {
  return TONES[status] ?? 'quiet';
}

export function StatusBadge(props: { status: string | null | undefined; title?: string }) {
  const status = props.status ?? 'never ran';
  return (
    <span class={`badge badge-${toneOf(status)}`} title={props.title}>
      {status.replace(/_/g, ' ')}
    </span>
  );
}
