/**
 * Readiness of a worker process (`GET /readyz`, see workers/health-server.ts): whether it can do
 * its work right now. Every check runs at once and each is given up on after the ready timeout
 * (SLUICE_READY_TIMEOUT), so one slow gateway delays the answer by at most that long and does not
 * hide the others. An executor checks Temporal, a ping of each gateway it serves and, with
 * SLUICE_ENV_FILE, the last load of its env file; the scheduler checks Temporal and its state
 * database. Errors are the engines' own messages, which never hold a password, scrubbed once more
 * of anything credential-shaped.
 */

import type { NativeConnection } from '@temporalio/worker';
import { sql } from 'drizzle-orm';
import type { StateDb } from '../db/client.ts';
import type { EnginePool } from '../engines/pool.ts';
import { redactSecrets } from '../engines/redact.ts';
import type { EnvFileStatus } from './env-file.ts';

export interface CheckResult {
  ok: boolean;
  /** how long the check took (the timeout, when it gave up). */
  ms: number;
  error?: string;
}

export interface ReadinessReport {
  status: 'ready' | 'not ready';
  checks: Record<string, CheckResult>;
}

/** One check: resolves when the dependency answered; `deadline` is when it will be given up on. */
export type ReadinessCheck = (deadline: number) => Promise<void>;

/** Runs every check concurrently, each with `timeoutMs`; ready when all of them pass. */
export async function runReadinessChecks(
  checks: Readonly<Record<string, ReadinessCheck>>,
  timeoutMs: number,
): Promise<ReadinessReport> {
  const names = Object.keys(checks).sort();
  const results = await Promise.all(names.map((name) => runCheck(checks[name]!, timeoutMs)));
  const report: ReadinessReport = { status: 'ready', checks: {} };
  for (const [index, name] of names.entries()) {
    const result = results[index]!;
    report.checks[name] = result;
    if (!result.ok) report.status = 'not ready';
  }
  return report;
}

async function runCheck(check: ReadinessCheck, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(timeoutMs)), timeoutMs);
  });
  try {
    const running = Promise.resolve().then(() => check(Date.now() + timeoutMs));
    // a check that fails after its timeout has nothing left to report to
    running.catch(() => {});
    await Promise.race([running, timeout]);
    return { ok: true, ms: elapsed() };
  } catch (error) {
    return { ok: false, ms: elapsed(), error: describe(error) };
  } finally {
    clearTimeout(timer);
  }
}

class TimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

/** The error's first line, and its causes' (drivers wrap the reason, e.g. `Failed query: ...`). */
function describe(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && parts.length < 3) {
    const message = current instanceof Error ? current.message : String(current);
    const line = message.split('\n')[0]!.trim();
    if (line !== '' && !parts.includes(line)) parts.push(line);
    current = current instanceof Error ? current.cause : undefined;
  }
  return redactSecrets(parts.join(': '), []);
}

/** Temporal answers: a cheap GetSystemInfo call on the worker's own connection. */
export function temporalCheck(connection: NativeConnection): ReadinessCheck {
  return async (deadline) => {
    await connection.withDeadline(deadline, () => connection.workflowService.getSystemInfo({}));
  };
}

/** One check per gateway the pool serves now (`gateway:<name>`), each a ping on its current engine. */
export function gatewayChecks(pool: EnginePool): Record<string, ReadinessCheck> {
  const checks: Record<string, ReadinessCheck> = {};
  for (const gateway of pool.gateways) {
    checks[`gateway:${gateway}`] = async () => {
      const lease = pool.acquire(gateway);
      try {
        await lease.engine.ping();
      } finally {
        lease.release();
      }
    };
  }
  return checks;
}

/** The state database answers `select 1`. */
export function stateDbCheck(db: StateDb): ReadinessCheck {
  return async () => {
    await db.execute(sql`select 1`);
  };
}

/** The env file's last load succeeded; otherwise its error (file and line or variable). */
export function envFileCheck(status: () => EnvFileStatus): ReadinessCheck {
  return async () => {
    const current = status();
    if (!current.ok) throw new Error(current.error);
  };
}
