import type { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterEach, beforeEach } from 'vitest';
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

/**
 * A fresh time-skipping server for each test of the calling `describe` block, for tests that skip
 * hours: one test's leftovers must not hold the next one's clock. Returns the current server.
 */
export function timeSkippingServerPerTest(): () => TestWorkflowEnvironment {
  let env: TestWorkflowEnvironment | undefined;
  beforeEach(async () => {
    env = await startTimeSkippingServer();
  });
  afterEach(async () => {
    await env?.teardown();
    env = undefined;
  });
  return () => {
    if (!env) throw new Error('the time-skipping server is only there while a test runs');
    return env;
  };
}
