/**
 * One workflow history measured raw, as Temporal holds it (no codec): its events, its bytes and its
 * largest event, which bounds every payload in it. Read in small pages, so a page fits a gRPC
 * message whatever its events hold.
 */
import type { Client } from '@temporalio/client';
import proto from '@temporalio/proto';

const HistoryEvent = proto.temporal.api.history.v1.HistoryEvent;
type Event = proto.temporal.api.history.v1.IHistoryEvent;

export interface HistorySize {
  events: number;
  bytes: number;
  largestEvent: number;
}

/** Measures the history of `workflowId`'s run `runId`; `onEvent` sees each event with its size. */
export async function measureHistory(
  client: Client,
  workflowId: string,
  runId: string,
  onEvent?: (event: Event, bytes: number) => void,
): Promise<HistorySize> {
  const measured: HistorySize = { events: 0, bytes: 0, largestEvent: 0 };
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await client.workflowService.getWorkflowExecutionHistory({
      namespace: client.options.namespace,
      execution: { workflowId, runId },
      maximumPageSize: 20,
      ...(nextPageToken === undefined ? {} : { nextPageToken }),
    });
    for (const event of page.history?.events ?? []) {
      const bytes = HistoryEvent.encode(event).finish().byteLength;
      measured.events += 1;
      measured.bytes += bytes;
      measured.largestEvent = Math.max(measured.largestEvent, bytes);
      onEvent?.(event, bytes);
    }
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken !== undefined);
  return measured;
}

/** The run ids of every execution of `workflowId`: its first history and each continuation. */
export async function historiesOf(client: Client, workflowId: string): Promise<string[]> {
  const runs: string[] = [];
  for await (const workflow of client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
    runs.push(workflow.runId);
  }
  return runs;
}
