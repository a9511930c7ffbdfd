import type { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { withTemporalExecutable } from '../../workers/temporal-binaries.ts';

/** The Java time-skipping test server, for workflows that sleep. */
export function startTimeSkippingServer(): Promise<TestWorkflowEnvironment> {
  return withTemporalExecutable('temporal-test-server', (executable) =>
    TestWorkflowEnvironment.createTimeSkipping({ server: { executable } }),
  );
}

/** The Temporal CLI dev server (the same binary `sluice dev` runs), for integration tests. */
export function startDevServer(
  searchAttributes: ReturnType<typeof defineSearchAttributeKey<SearchAttributeType>>[] = [],
): Promise<TestWorkflowEnvironment> {
  return withTemporalExecutable('temporal', (executable) =>
    TestWorkflowEnvironment.createLocal({
      server: { executable, searchAttributes, log: { format: 'pretty', level: 'warn' } },
    }),
  );
}
