/**
 * A small client of the sluice HTTP API for the CLI, typed from the API's own routes
 * (`hono/client` over api/app.ts's AppType): a route's path, input or reply changing is a type
 * error here. Failures become CliErrors carrying one line that says what went wrong and what to
 * do, and the exit code: 2 when the server rejected the request (4xx), 1 when it failed or could
 * not be reached.
 */
import { type ClientResponse, hc, type InferRequestType, type InferResponseType } from 'hono/client';
import type { SuccessStatusCode } from 'hono/utils/http-status';
import type { AppType } from '../api/app.ts';
import { DEFAULT_API_URL } from '../config/defaults.ts';
import type { Project } from '../core/project/types.ts';
import { CliError, EXIT } from './errors.ts';

type Api = ReturnType<typeof hc<AppType>>['api'];

/** What an endpoint answers when it succeeds. */
type Success<Endpoint> = InferResponseType<Endpoint, SuccessStatusCode>;

export type Health = Success<Api['health']['$get']>;
export type EnvironmentList = Success<Api['environments']['$get']>;
export type EnvironmentDetail = Success<Api['environments'][':env']['$get']>;
export type CiPlan = Success<Api['ci']['pull-requests'][':number']['plan']['$post']>;
export type CiSummary = Success<Api['ci']['pull-requests'][':number']['$get']>;
export type EnvironmentDeletion = Success<Api['environments'][':env']['deletion']['$get']>;
export type PauseChange = Success<Api['environments'][':env']['pause']['$post']>;
export type PauseList = Success<Api['environments'][':env']['pauses']['$get']>;
export type Plan = Success<Api['plans'][':id']['$get']>;
export type CancelledRun = Success<Api['runs'][':id']['cancel']['$post']>;
export type CancelledPlan = Success<Api['plans'][':id']['cancel']['$post']>;
export type AppliedPlan = Success<Api['plans'][':id']['apply']['$post']>;
export type RunPage = Success<Api['runs']['$get']>;
export type Run = RunPage['items'][number];
export type RunDetail = Success<Api['runs'][':id']['$get']>;
export type Execution = RunDetail['executions'][number];
export type ExecutionLog = Success<Api['runs'][':id']['executions'][':eid']['log']['$get']>;
export type TriggeredRun = Success<Api['environments'][':env']['runs']['$post']>;
export type ScheduleList = Success<Api['schedules']['$get']>;
export type AuditPage = Success<Api['audit']['$get']>;
export type JanitorRun = Success<Api['janitor']['runs']['$post']>;
export type JanitorDropPage = Success<Api['janitor']['drops']['$get']>;
export type Token = Success<Api['tokens'][':id']['$delete']>;
export type CreatedToken = Success<Api['tokens']['$post']>;
export type TokenList = Success<Api['tokens']['$get']>;
export type Connection = Success<Api['connections'][':gateway']['$delete']>;
export type SavedConnection = Success<Api['connections']['$post']>;
export type ConnectionList = Success<Api['connections']['$get']>;
export type WebhookList = Success<Api['notifications']['$get']>;
export type DeliveryList = Success<Api['notifications'][':id']['deliveries']['$get']>;
export type KeyRotation = Success<Api['connections']['rotate-key']['$post']>;
export type ExecutorList = Success<Api['executors']['$get']>;
export type ArtifactList = Success<Api['runs'][':id']['artifacts']['$get']>;

type TokenRequest = InferRequestType<Api['tokens']['$post']>['json'];
type WebhookRequest = InferRequestType<Api['notifications']['$post']>['json'];

/** The body of a reply with one of the statuses its route declares as success. */
type Body<R> =
  R extends ClientResponse<infer T, infer S, infer _F> ? (S extends SuccessStatusCode ? T : never) : never;

export interface RunEvent {
  event: string;
  data: unknown;
}

export class ApiClient {
  readonly url: string;
  private readonly api: Api;

  constructor(options: { url?: string; token?: string }) {
    const url = (options.url ?? DEFAULT_API_URL).trim().replace(/\/+$/, '');
    if (!/^https?:\/\/[^/]+/i.test(url)) {
      throw new CliError(
        `API URL must start with http:// or https:// (got "${url}"); set SLUICE_API_URL or --url`,
        EXIT.invalid,
      );
    }
    this.url = url;
    const token = options.token?.trim() || undefined;
    this.api = hc<AppType>(url, {
      headers: { accept: 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      fetch: ((input: string | URL | Request, init?: RequestInit) => this.reach(input, init)) as typeof fetch,
    }).api;
  }

  health() {
    return this.read(this.api.health.$get(), [503]);
  }
  environments() {
    return this.read(this.api.environments.$get());
  }
  environment(env: string) {
    return this.read(this.api.environments[':env'].$get({ param: path({ env }) }));
  }
  deleteEnvironment(env: string) {
    return this.read(this.api.environments[':env'].$delete({ param: path({ env }) }));
  }
  environmentDeletion(env: string) {
    return this.read(this.api.environments[':env'].deletion.$get({ param: path({ env }) }));
  }
  pauseEnvironment(env: string, reason: string) {
    return this.read(this.api.environments[':env'].pause.$post({ param: path({ env }), json: { reason } }));
  }
  resumeEnvironment(env: string) {
    return this.read(this.api.environments[':env'].resume.$post({ param: path({ env }) }));
  }
  pauses(env: string) {
    return this.read(this.api.environments[':env'].pauses.$get({ param: path({ env }) }));
  }
  pauseModel(env: string, model: string, reason: string) {
    return this.read(
      this.api.environments[':env'].pauses.$post({ param: path({ env }), json: { model, reason } }),
    );
  }
  resumeModel(env: string, model: string) {
    return this.read(this.api.environments[':env'].pauses[':model'].$delete({ param: path({ env, model }) }));
  }
  cancelRun(id: string): Promise<CancelledRun> {
    return this.read(this.api.runs[':id'].cancel.$post({ param: path({ id }) }));
  }
  cancelPlan(id: string): Promise<CancelledPlan> {
    return this.read(this.api.plans[':id'].cancel.$post({ param: path({ id }) }));
  }
  triggerRun(
    env: string,
    body: { models?: string[]; includeUpstream?: boolean; restate?: { start: string; end: string } },
  ) {
    return this.read(this.api.environments[':env'].runs.$post({ param: path({ env }), json: body }));
  }
  runs(query: { environment?: string; status?: string; trigger?: string; limit?: number; cursor?: string }) {
    return this.read(this.api.runs.$get({ query }));
  }
  run(id: string) {
    return this.read(this.api.runs[':id'].$get({ param: path({ id }) }));
  }
  executionLog(runId: string, executionId: string) {
    return this.read(
      this.api.runs[':id'].executions[':eid'].log.$get({ param: path({ id: runId, eid: executionId }) }),
    );
  }
  createPlan(body: {
    environment: string;
    project: Project;
    start?: string;
    end?: string;
    autoApply?: boolean;
  }) {
    return this.read(this.api.plans.$post({ json: body }));
  }
  /** plans the project into pull request `number`'s environment and queues it at once. */
  planPullRequest(number: string, body: { project: Project; base?: string; ttl?: string }) {
    return this.read(
      this.api.ci['pull-requests'][':number'].plan.$post({ param: path({ number }), json: body }),
    );
  }
  pullRequestSummary(number: string) {
    return this.read(this.api.ci['pull-requests'][':number'].$get({ param: path({ number }) }));
  }
  closePullRequest(number: string) {
    return this.read(this.api.ci['pull-requests'][':number'].$delete({ param: path({ number }) }));
  }
  applyPlan(id: string) {
    return this.read(this.api.plans[':id'].apply.$post({ param: path({ id }) }));
  }
  plan(id: string) {
    return this.read(this.api.plans[':id'].$get({ param: path({ id }) }));
  }
  /** a run's or a plan's artifacts. */
  artifacts(kind: 'run' | 'plan', id: string) {
    return kind === 'run'
      ? this.read(this.api.runs[':id'].artifacts.$get({ param: path({ id }) }))
      : this.read(this.api.plans[':id'].artifacts.$get({ param: path({ id }) }));
  }
  /** one artifact's bytes. */
  async artifact(kind: 'run' | 'plan', id: string, file: string): Promise<Uint8Array> {
    const param = path({ id, path: file });
    const response = await (kind === 'run'
      ? this.api.runs[':id'].artifacts[':path'].$get({ param })
      : this.api.plans[':id'].artifacts[':path'].$get({ param }));
    if (!response.ok) await this.fail(response);
    return new Uint8Array(await response.arrayBuffer());
  }
  schedules(environment?: string) {
    return this.read(this.api.schedules.$get({ query: { environment } }));
  }
  runJanitor(dryRun: boolean) {
    return this.read(this.api.janitor.runs.$post({ json: { dryRun } }));
  }
  janitorDrops(query: { limit?: number; cursor?: string }) {
    return this.read(this.api.janitor.drops.$get({ query }));
  }
  audit(query: { environment?: string; action?: string; limit?: number; cursor?: string }) {
    return this.read(this.api.audit.$get({ query }));
  }
  createToken(body: { name: string; role: string; environments: string[]; expiresAt?: string }) {
    // the role is the user's word: the API checks it and says what the roles are
    return this.read(this.api.tokens.$post({ json: body as TokenRequest }));
  }
  tokens(includeRevoked: boolean) {
    return this.read(
      this.api.tokens.$get({ query: { includeRevoked: includeRevoked ? 'true' : undefined } }),
    );
  }
  revokeToken(id: string) {
    return this.read(this.api.tokens[':id'].$delete({ param: path({ id }) }));
  }
  addConnection(gateway: string, yaml: string) {
    return this.read(this.api.connections.$post({ json: { gateway, yaml } }));
  }
  connections() {
    return this.read(this.api.connections.$get());
  }
  removeConnection(gateway: string) {
    return this.read(this.api.connections[':gateway'].$delete({ param: path({ gateway }) }));
  }
  rotateKey() {
    return this.read(this.api.connections['rotate-key'].$post());
  }
  addWebhook(body: { environment: string; url: string; events?: string[]; format?: string }) {
    // events and format are the user's words: the API checks them and names what it knows
    return this.read(this.api.notifications.$post({ json: body as WebhookRequest }));
  }
  webhooks() {
    return this.read(this.api.notifications.$get());
  }
  removeWebhook(id: string) {
    return this.read(this.api.notifications[':id'].$delete({ param: path({ id }) }));
  }
  testWebhook(id: string) {
    return this.read(this.api.notifications[':id'].test.$post({ param: path({ id }) }));
  }
  deliveries(id: string, limit?: number) {
    return this.read(
      this.api.notifications[':id'].deliveries.$get({
        param: path({ id }),
        query: { ...(limit === undefined ? {} : { limit: String(limit) }) },
      }),
    );
  }
  query(env: string, body: { sql: string; gateway?: string; limit?: number; timeoutMs?: number }) {
    return this.read(this.api.environments[':env'].query.$post({ param: path({ env }), json: body }));
  }
  executors(query: { role?: string; status?: string }) {
    return this.read(this.api.executors.$get({ query }));
  }

  /** Reads the run's event stream, calling `onEvent` for each event, until the server closes it. */
  async followRun(id: string, onEvent: (event: RunEvent) => void | Promise<void>): Promise<void> {
    const response = await this.api.runs[':id'].events.$get(
      { param: path({ id }) },
      { headers: { accept: 'text/event-stream' } },
    );
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

  /** The reply's body when its status is a success (or one of `acceptStatus`); a CliError otherwise. */
  private async read<R extends ClientResponse<unknown, number, 'json'>>(
    reply: Promise<R>,
    acceptStatus: number[] = [],
  ): Promise<Body<R>> {
    const response = await reply;
    if (!response.ok && !acceptStatus.includes(response.status)) await this.fail(response);
    return (await response.json()) as Body<R>;
  }

  /** fetch, its failure to reach the API told as a CliError that says what to do. */
  private async reach(input: string | URL | Request, init?: RequestInit): Promise<Response> {
    try {
      return await fetch(input, init);
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new CliError(
        `cannot reach the sluice API at ${this.url} (${reason}); start it with \`sluice api\` or point SLUICE_API_URL (or --url) at it`,
        EXIT.failed,
      );
    }
  }

  private async fail(response: {
    status: number;
    statusText: string;
    json(): Promise<unknown>;
  }): Promise<never> {
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

const PARAMETER_NAMES: Record<string, string> = {
  env: 'environment name',
  model: 'model name',
  id: 'id',
  eid: 'execution id',
  gateway: 'gateway name',
  path: 'artifact path',
  number: 'pull request number',
};

/**
 * Path parameters, each URL-encoded. hono/client drops an empty parameter together with its slash,
 * which would name another route, so an empty one is refused here.
 */
function path<P extends Record<string, string>>(params: P): P {
  const encoded: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    if (value === '')
      throw new CliError(`the ${PARAMETER_NAMES[name] ?? name} must not be empty`, EXIT.invalid);
    encoded[name] = encodeURIComponent(value);
  }
  return encoded as P;
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
