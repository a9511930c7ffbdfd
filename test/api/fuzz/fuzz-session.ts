/**
 * One fuzzing session against a running API: sends batches of generated requests, checks every
 * answer (response-checks.ts), and checks that refused requests changed nothing. Requests that may
 * change state (a method other than GET, from a token whose role suffices) close the batch before
 * them with a snapshot; after one succeeds, the stack is brought to rest again before the next
 * baseline. When a batch's snapshots differ, each of its requests is sent again alone between two
 * snapshots to name the one that writes. Findings are collected, not thrown, so one run reports all.
 */
import type { Client } from '@temporalio/client';
import type { StateDb } from '../../../db/client.ts';
import { API_ROLES, type ApiRole } from '../../../db/schema.ts';
import { designedWrite } from './designed-writes.ts';
import { describeRequest, type FuzzRequest } from './fuzz-request.ts';
import { knownFindings } from './known-findings.ts';
import type { Operation } from './openapi-operations.ts';
import type { FuzzPrincipal } from './principals.ts';
import { type AdminCall, quietStack } from './quiet-stack.ts';
import { responseProblems } from './response-checks.ts';
import { type FuzzResponse, sendRequest } from './send-request.ts';
import { type StateSnapshot, snapshotDifferences, takeSnapshot } from './state-snapshot.ts';

export interface Finding {
  request: FuzzRequest;
  status: number | null;
  problems: string[];
  body: string;
  /** a known finding's description, when the finding is listed in known-findings.ts. */
  known: string | null;
}

interface Sent {
  request: FuzzRequest;
  response: FuzzResponse;
}

export class FuzzSession {
  readonly findings: Finding[] = [];
  /** state changes during a batch that no request of it made again when sent alone. */
  readonly unattributed: string[] = [];
  readonly statuses = new Map<string, Map<number, number>>();
  sent = 0;
  batches = 0;
  comparedBatches = 0;
  private baseline: StateSnapshot | undefined;
  private pending: Sent[] = [];
  /** the request sent before the current one, named when a request gets no answer. */
  private previous: FuzzRequest | undefined;

  constructor(
    private readonly options: {
      baseUrl: string;
      db: StateDb;
      client: Client;
      admin: AdminCall;
      operations: Map<string, Operation>;
      principals: Map<string, FuzzPrincipal>;
      neededRoles: Map<string, ApiRole>;
      /** called after the stack came to rest following a successful change. */
      refresh: () => Promise<void>;
    },
  ) {}

  async runBatch(batch: FuzzRequest[]): Promise<void> {
    this.batches++;
    this.baseline ??= await this.rest();
    for (const request of batch) {
      const mayChange = this.mayChange(request);
      if (mayChange) await this.closeBatch();
      const response = await this.send(request);
      if (response === null) continue;
      if (!mayChange) {
        this.pending.push({ request, response });
        continue;
      }
      if (response.status < 400) {
        this.baseline = await this.rest();
        continue;
      }
      const designed = designedWrite(request.operation, response.status);
      if (designed === undefined) {
        this.pending.push({ request, response });
        continue;
      }
      const after = await takeSnapshot(this.options.db, this.options.client);
      const outside = snapshotDifferences(this.baseline!, after).filter(
        (line) => !designed.tables.some((table) => line.startsWith(`table ${table}:`)),
      );
      if (outside.length > 0) this.stateFinding(request, response, outside);
      this.baseline = after;
    }
    await this.closeBatch();
  }

  private mayChange(request: FuzzRequest): boolean {
    // a GET, or a method the path does not have, must change nothing: it stays in the batch
    if (request.method === 'GET' || !this.options.operations.has(request.operation)) return false;
    const role = this.options.principals.get(request.principal)?.role;
    if (role === undefined) return false;
    const needed = this.options.neededRoles.get(request.operation);
    return needed === undefined || API_ROLES.indexOf(role) >= API_ROLES.indexOf(needed);
  }

  private async send(request: FuzzRequest): Promise<FuzzResponse | null> {
    const operation = this.options.operations.get(request.operation) ?? noSuchOperation(request.operation);
    const principal = this.options.principals.get(request.principal)!;
    this.sent++;
    let response: FuzzResponse;
    try {
      response = await sendRequest(this.options.baseUrl, request, principal);
    } catch (err) {
      const before =
        this.previous === undefined ? '' : `; the request before it: ${describeRequest(this.previous)}`;
      this.previous = request;
      this.findings.push({
        request,
        status: null,
        problems: [`no answer: ${failureOf(err)}${before}`],
        body: '',
        known: null,
      });
      return null;
    }
    this.previous = request;
    const byStatus = this.statuses.get(request.operation) ?? new Map<number, number>();
    byStatus.set(response.status, (byStatus.get(response.status) ?? 0) + 1);
    this.statuses.set(request.operation, byStatus);
    const problems = responseProblems(
      operation,
      request,
      principal,
      this.options.neededRoles.get(request.operation),
      response,
    );
    if (problems.length > 0) {
      // a known finding excuses only its own problems; anything else wrong with the answer stays new
      const known = knownFindings(request.operation, response.status, request);
      const excused = known.filter((f) => problems.some((p) => f.problem.test(p)));
      const beyond = problems.filter((p) => !known.some((f) => f.problem.test(p)));
      this.findings.push({
        request,
        status: response.status,
        problems,
        body: response.text.slice(0, 500),
        known: excused.length > 0 && beyond.length === 0 ? excused.map((f) => f.what).join('; ') : null,
      });
    }
    return response;
  }

  /** Compares the state with the baseline after the pending refused requests; names the one that wrote. */
  private async closeBatch(): Promise<void> {
    if (this.pending.length === 0) return;
    const after = await takeSnapshot(this.options.db, this.options.client);
    this.comparedBatches++;
    const differences = snapshotDifferences(this.baseline!, after);
    const batch = this.pending;
    this.pending = [];
    this.baseline = after;
    if (differences.length === 0) return;
    for (const { request } of batch) {
      const before = await this.rest();
      const response = await this.send(request);
      const alone = snapshotDifferences(before, await takeSnapshot(this.options.db, this.options.client));
      if (alone.length > 0 && response !== null) {
        this.stateFinding(request, response, alone);
        this.baseline = await this.rest();
        return;
      }
    }
    // a request that writes when refused writes again when sent alone; what no request repeats is
    // the stack's own work (a tick of a paused environment), noted and printed, not failed
    this.unattributed.push(
      `during a batch of ${batch.length} requests starting with ${describeRequest(batch[0]!.request)}: ${differences.join('; ')}`,
    );
    this.baseline = await this.rest();
  }

  private stateFinding(request: FuzzRequest, response: FuzzResponse, differences: string[]): void {
    this.findings.push({
      request,
      status: response.status,
      problems: [`refused with ${response.status}, yet the state changed: ${differences.join('; ')}`],
      body: response.text.slice(0, 500),
      known: null,
    });
  }

  private async rest(): Promise<StateSnapshot> {
    const snapshot = await quietStack(this.options.db, this.options.client, this.options.admin);
    await this.options.refresh();
    return snapshot;
  }

  /** A finding as the failure message prints it, with the seed that reproduces it. */
  static describe(finding: Finding, seed: number): string {
    return [
      `[seed ${seed}] ${describeRequest(finding.request)}`,
      `  answered ${finding.status ?? 'nothing'}: ${finding.body.replace(/\s+/g, ' ').slice(0, 300)}`,
      ...finding.problems.map((p) => `  - ${p}`),
      ...(finding.known ? [`  (known: ${finding.known})`] : []),
    ].join('\n');
  }
}

function failureOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause as { code?: string; message?: string } | undefined;
  return cause ? `${err.message} (${cause.code ?? ''} ${cause.message ?? ''})` : err.message;
}

/** A method the document does not list on a path: only "no route" and authentication answers fit. */
function noSuchOperation(key: string): Operation {
  const [method, template] = key.split(' ') as [string, string];
  return {
    method,
    template,
    key,
    pathParams: [],
    query: [],
    body: undefined,
    statuses: new Set([401, 404, 405]),
    anonymous: false,
  };
}
