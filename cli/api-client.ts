/**
 * A small typed client of the sluice HTTP API for the CLI. Failures become CliErrors carrying one
 * line that says what went wrong and what to do, and the exit code: 2 when the server rejected the
 * request (4xx), 1 when it failed or could not be reached.
 */
import type { z } from '@hono/zod-openapi';
import type { AuditPageSchema } from '../api/schemas/audit.ts';
import type { CancelledPlanSchema, CancelledRunSchema } from '../api/schemas/cancellations.ts';
import type { EnvironmentDetailSchema, EnvironmentListSchema } from '../api/schemas/environments.ts';
import type { HealthSchema } from '../api/schemas/health.ts';
import type { PauseChangeSchema, PauseListSchema } from '../api/schemas/pauses.ts';
import type { AppliedPlanSchema, PlanSchema } from '../api/schemas/plans.ts';
import type {
  ExecutionLogSchema,
  ExecutionSchema,
  RunDetailSchema,
  RunPageSchema,
  RunSchema,
  TriggeredRunSchema,
} from '../api/schemas/runs.ts';
import type { ScheduleListSchema } from '../api/schemas/schedules.ts';
import type { CreatedTokenSchema, TokenListSchema, TokenSchema } from '../api/schemas/tokens.ts';
import type { Project } from '../core/project/types.ts';
import { CliError, EXIT } from './errors.ts';

export const DEFAULT_API_URL = 'http://127.0.0.1:8787';

export type Health = z.infer<typeof HealthSchema>;
export type EnvironmentList = z.infer<typeof EnvironmentListSchema>;
export type EnvironmentDetail = z.infer<typeof EnvironmentDetailSchema>;
export type PauseChange = z.infer<typeof PauseChangeSchema>;
export type PauseList = z.infer<typeof PauseListSchema>;
export type Plan = z.infer<typeof PlanSchema>;
export type CancelledRun = z.infer<typeof CancelledRunSchema>;
export type CancelledPlan = z.infer<typeof CancelledPlanSchema>;
export type AppliedPlan = z.infer<typeof AppliedPlanSchema>;
export type Run = z.infer<typeof RunSchema>;
export type RunDetail = z.infer<typeof RunDetailSchema>;
export type RunPage = z.infer<typeof RunPageSchema>;
export type Execution = z.infer<typeof ExecutionSchema>;
export type ExecutionLog = z.infer<typeof ExecutionLogSchema>;
export type TriggeredRun = z.infer<typeof TriggeredRunSchema>;
export type ScheduleList = z.infer<typeof ScheduleListSchema>;
export type AuditPage = z.infer<typeof AuditPageSchema>;
export type Token = z.infer<typeof TokenSchema>;
export type CreatedToken = z.infer<typeof CreatedTokenSchema>;
export type TokenList = z.infer<typeof TokenListSchema>;

export interface RunEvent {
  event: string;
  data: unknown;
}

type Query = Record<string, string | number | boolean | undefined>;

export class ApiClient {
  readonly url: string;
  private readonly token: string | undefined;

  constructor(options: { url?: string; token?: string }) {
    const url = (options.url ?? DEFAULT_API_URL).trim().replace(/\/+$/, '');
    if (!/^https?:\/\/[^/]+/i.test(url)) {
      throw new CliError(
        `API URL must start with http:// or https:// (got "${url}"); set SLUICE_API_URL or --url`,
        EXIT.invalid,
      );
    }
    this.url = url;
    this.token = options.token?.trim() || undefined;
  }

  health() {
    return this.request<Health>('GET', '/api/health', { acceptStatus: [503] });
  }
  environments() {
    return this.request<EnvironmentList>('GET', '/api/environments');
  }
  environment(env: string) {
    return this.request<EnvironmentDetail>('GET', `/api/environments/${enc(env)}`);
  }
  pauseEnvironment(env: string, reason: string) {
    return this.request<PauseChange>('POST', `/api/environments/${enc(env)}/pause`, { body: { reason } });
  }
  resumeEnvironment(env: string) {
    return this.request<PauseChange>('POST', `/api/environments/${enc(env)}/resume`);
  }
  pauses(env: string) {
    return this.request<PauseList>('GET', `/api/environments/${enc(env)}/pauses`);
  }
  pauseModel(env: string, model: string, reason: string) {
    return this.request<PauseChange>('POST', `/api/environments/${enc(env)}/pauses`, {
      body: { model, reason },
    });
  }
  resumeModel(env: string, model: string) {
    return this.request<PauseChange>('DELETE', `/api/environments/${enc(env)}/pauses/${enc(model)}`);
  }
  cancelRun(id: string): Promise<CancelledRun> {
    return this.request<CancelledRun>('POST', `/api/runs/${enc(id)}/cancel`);
  }
  cancelPlan(id: string): Promise<CancelledPlan> {
    return this.request<CancelledPlan>('POST', `/api/plans/${enc(id)}/cancel`);
  }
  triggerRun(
    env: string,
    body: { models?: string[]; includeUpstream?: boolean; restate?: { start: string; end: string } },
  ) {
    return this.request<TriggeredRun>('POST', `/api/environments/${enc(env)}/runs`, { body });
  }
  runs(query: { environment?: string; status?: string; trigger?: string; limit?: number; cursor?: string }) {
    return this.request<RunPage>('GET', '/api/runs', { query });
  }
  run(id: string) {
    return this.request<RunDetail>('GET', `/api/runs/${enc(id)}`);
  }
  executionLog(runId: string, executionId: string) {
    return this.request<ExecutionLog>('GET', `/api/runs/${enc(runId)}/executions/${enc(executionId)}/log`);
  }
  createPlan(body: {
    environment: string;
    project: Project;
    start?: string;
    end?: string;
    autoApply?: boolean;
  }) {
    return this.request<Plan>('POST', '/api/plans', { body });
  }
  applyPlan(id: string) {
    return this.request<AppliedPlan>('POST', `/api/plans/${enc(id)}/apply`);
  }
  plan(id: string) {
    return this.request<Plan>('GET', `/api/plans/${enc(id)}`);
  }
  schedules(environment?: string) {
    return this.request<ScheduleList>('GET', '/api/schedules', { query: { environment } });
  }
  audit(query: { environment?: string; limit?: number; cursor?: string }) {
    return this.request<AuditPage>('GET', '/api/audit', { query });
  }
  createToken(body: { name: string; role: string; environments: string[]; expiresAt?: string }) {
    return this.request<CreatedToken>('POST', '/api/tokens', { body });
  }
  tokens(includeRevoked: boolean) {
    return this.request<TokenList>('GET', '/api/tokens', {
      query: { includeRevoked: includeRevoked ? 'true' : undefined },
    });
  }
  revokeToken(id: string) {
    return this.request<Token>('DELETE', `/api/tokens/${enc(id)}`);
  }

  /** Reads the run's event stream, calling `onEvent` for each event, until the server closes it. */
  async followRun(id: string, onEvent: (event: RunEvent) => void | Promise<void>): Promise<void> {
    const response = await this.send('GET', `/api/runs/${enc(id)}/events`, { accept: 'text/event-stream' });
    if (!response.ok) await this.fail(response);
    if (!response.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true }).replaceAll('\r\n', '\n');
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = parseEvent(block);
        if (event) await onEvent(event);
        end = buffer.indexOf('\n\n');
      }
    }
  }

  async request<T>(
    method: string,
    path: string,
    options: { body?: unknown; query?: Query; acceptStatus?: number[] } = {},
  ): Promise<T> {
    const response = await this.send(method, path, options);
    if (!response.ok && !(options.acceptStatus ?? []).includes(response.status)) await this.fail(response);
    return (await response.json()) as T;
  }

  private async send(
    method: string,
    path: string,
    options: { body?: unknown; query?: Query; accept?: string },
  ): Promise<Response> {
    const target = new URL(`${this.url}${path}`);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) target.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept: options.accept ?? 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await fetch(target, {
        method,
        headers,
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new CliError(
        `cannot reach the sluice API at ${this.url} (${reason}); start it with \`sluice api\` or point SLUICE_API_URL (or --url) at it`,
        EXIT.failed,
      );
    }
  }

  private async fail(response: Response): Promise<never> {
    let message = `${response.status} ${response.statusText}`;
    try {
      const body = (await response.json()) as { error?: { message?: string } };
      if (body.error?.message) message = body.error.message;
    } catch {
      // not the API's error shape: keep the status line
    }
    if (response.status === 401) message = `${message} (set SLUICE_TOKEN or pass --token)`;
    throw new CliError(message.replaceAll('\n', ' '), response.status < 500 ? EXIT.invalid : EXIT.failed);
  }
}

function enc(part: string): string {
  return encodeURIComponent(part);
}

function parseEvent(block: string): RunEvent | null {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':') || line === '') continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  if (data.length === 0) return null;
  return { event, data: JSON.parse(data.join('\n')) };
}
