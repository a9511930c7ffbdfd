/**
 * Follows a run live through the API's event stream (GET /api/runs/{id}/events): read with fetch()
 * so the session's bearer token goes with it (an EventSource cannot send one). Each event carries
 * the whole current record, so after a lost connection the stream is simply opened again and
 * replays the run and every execution as they are now; the page is told while it is lost.
 */
import type { api, Body } from './api.ts';
import { eventStreamParser } from './event-stream.ts';
import { authorizationHeader, endSession } from './session.ts';

export type RunDetail = Body<Awaited<ReturnType<(typeof api.runs)[':id']['$get']>>>;
export type Execution = RunDetail['executions'][number];
export type Run = Omit<RunDetail, 'executions'>;

export type StreamState =
  | { kind: 'connecting' }
  | { kind: 'live'; since: number }
  | { kind: 'lost'; reason: string; since: number; retryInMs: number }
  | { kind: 'ended' };

export interface RunStreamHandlers {
  run: (run: Run) => void;
  execution: (execution: Execution) => void;
  state: (state: StreamState) => void;
}

const RETRY_MS = [1_000, 2_000, 5_000, 10_000];

/** Starts following; the answer stops it. */
export function followRun(runId: string, on: RunStreamHandlers): () => void {
  const abort = new AbortController();
  let stopped = false;
  let ended = false;
  let failures = 0;
  let lostSince: number | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;

  const lose = (reason: string) => {
    if (stopped || ended) return;
    lostSince ??= Date.now();
    const retryInMs = RETRY_MS[Math.min(failures, RETRY_MS.length - 1)]!;
    failures++;
    on.state({ kind: 'lost', reason, since: lostSince, retryInMs });
    retryTimer = setTimeout(() => void connect(), retryInMs);
  };

  const connect = async () => {
    if (stopped) return;
    // while lost, the page keeps saying why until the stream is back
    if (lostSince === null) on.state({ kind: 'connecting' });
    let response: Response;
    try {
      response = await fetch(`/api/runs/${encodeURIComponent(runId)}/events`, {
        headers: { ...authorizationHeader(), accept: 'text/event-stream' },
        signal: abort.signal,
        cache: 'no-store',
      });
    } catch (err) {
      lose(`the API is unreachable (${(err as Error).message})`);
      return;
    }
    if (!response.ok || response.body === null) {
      const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
      const message = body?.error?.message ?? `the API answered ${response.status}`;
      if (response.status === 401) {
        endSession(message);
        return;
      }
      lose(message);
      return;
    }
    const parse = eventStreamParser((event) => {
      failures = 0;
      lostSince = null;
      if (event.event === 'run') on.run(JSON.parse(event.data) as Run);
      else if (event.event === 'execution') on.execution(JSON.parse(event.data) as Execution);
      else if (event.event === 'end') {
        ended = true;
        on.run(JSON.parse(event.data) as Run);
        on.state({ kind: 'ended' });
      }
    });
    on.state({ kind: 'live', since: Date.now() });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parse(value);
      }
    } catch (err) {
      if (!stopped) lose(`the event stream broke (${(err as Error).message})`);
      return;
    }
    if (!ended) lose('the API closed the event stream before the run ended');
  };

  void connect();
  return () => {
    stopped = true;
    clearTimeout(retryTimer);
    abort.abort();
  };
}
