/**
 * A page's title, and how fresh its data is: when it was last loaded, or why the last refresh
 * failed (the figures below are then the last ones that arrived).
 */
import type { Child } from 'hono/jsx';
import { useEffect, useState } from 'hono/jsx/dom';
import { formatDuration } from '../format.ts';
import type { Live } from '../live.ts';

export function PageHeader(props: { title: Child; live?: Live<unknown>; actions?: Child; children?: Child }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);
  const live = props.live;
  return (
    <header class="page-header">
      <div class="page-title">
        <h1>{props.title}</h1>
        {props.actions ? <div class="actions">{props.actions}</div> : null}
      </div>
      {props.children}
      {live ? (
        <p class={`freshness${live.error ? ' stale' : ''}`} data-testid="freshness" role="status">
          {live.error
            ? `Could not refresh: ${live.error.message}${live.updatedAt ? ` (showing data from ${formatDuration(now - live.updatedAt)} ago)` : ''}`
            : live.updatedAt
              ? `Updated ${formatDuration(Math.max(0, now - live.updatedAt))} ago`
              : 'Loading…'}
        </p>
      ) : null}
    </header>
  );
}

/** What a page shows before its data arrives, or when it could not be loaded at all. */
export function Pending(props: { live: Live<unknown> }) {
  if (props.live.error)
    return (
      <p class="error" role="alert">
        {props.live.error.message}
      </p>
    );
  return <p class="muted">Loading…</p>;
}
