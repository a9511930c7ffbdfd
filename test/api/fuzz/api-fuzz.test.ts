/**
 * The API fuzzer: requests generated from the API's own OpenAPI document (read from the running
 * server), valid and mutated, to every route, as tokens of every role and scope, without a token and
 * with a bogus one, against a real stack (Temporal dev server, scheduler worker, executors, the
 * quickstart project planned to prod, a fresh PostgreSQL state database) with authentication on.
 * Every answer is checked (response-checks.ts) and refused requests must leave the state database and
 * the environment workflows as they were (fuzz-session.ts).
 *
 * Seeded and bounded: SLUICE_FUZZ_SEED, SLUICE_FUZZ_RUNS (requests), SLUICE_FUZZ_SECONDS (wall
 * clock of the request phase); see fuzz-settings.ts. The seed is printed at the start and in every
 * finding.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../../api/auth/tokens.ts';
import { type ApiServer, startApiServer } from '../../../api/server.ts';
import { loadProjectPayload } from '../../../cli/project-payload.ts';
import { startTestStack, type TestStack } from '../support/stack.ts';
import type { FuzzRequest } from './fuzz-request.ts';
import { FuzzSession } from './fuzz-session.ts';
import { fuzzSettings } from './fuzz-settings.ts';
import { type OpenApiDocument, type Operation, operationsOf } from './openapi-operations.ts';
import { createPrincipals, type FuzzPrincipal } from './principals.ts';
import type { AdminCall } from './quiet-stack.ts';
import { emptyValues, readRealValues } from './real-values.ts';
import { requestArbitrary } from './request-arbitrary.ts';
import { neededRoles } from './route-permissions.ts';
import { SchemaArbitraries } from './schema-arbitrary.ts';
import { hintsOf } from './value-hints.ts';

const settings = fuzzSettings();
const BATCH = 12;
const log = (line: string) => process.stdout.write(`api fuzz: ${line}\n`);

let t: TestStack;
let server: ApiServer;
let operations: Operation[];
let session: FuzzSession;
let arbitrary: fc.Arbitrary<FuzzRequest>;
let schemas: SchemaArbitraries;
const serverErrors: string[] = [];

beforeAll(async () => {
  log(
    `seed ${settings.seed} (SLUICE_FUZZ_SEED=${settings.seed} reproduces this run), ${settings.requests} requests, at most ${settings.seconds} s`,
  );
  t = await startTestStack('api_fuzz');
  const principals = await createPrincipals(t.state.db);
  // targets for revocation, so the fuzzer revokes these and never the tokens it sends
  for (const [role, environments] of [
    ['viewer', ['prod']],
    ['operator', ['dev*']],
    ['admin', ['*']],
  ] as const) {
    await createApiToken(t.state.db, {
      name: `fuzz target ${role}`,
      role,
      environments: [...environments],
      createdBy: 'api fuzzer',
    });
  }
  const harness = await createApiToken(t.state.db, {
    name: 'fuzz harness',
    role: 'admin',
    environments: ['*'],
    createdBy: 'api fuzzer',
  });
  // tokens first: the server refuses to start with authentication on and no token to use
  server = await startApiServer({
    db: t.state.db,
    client: t.stack.client,
    host: '127.0.0.1',
    port: 0,
    auth: 'tokens',
    temporalTimeoutMs: 10_000,
    eventPollMs: 100,
    log: () => {},
    logError: (message) => serverErrors.push(message),
  });
  const admin: AdminCall = async (method, path, body) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${harness.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: await response.json().catch(() => null) };
  };
  const doc = (await (await fetch(`${server.url}/api/openapi.json`)).json()) as OpenApiDocument;
  operations = operationsOf(doc);
  const values = emptyValues();
  const own = new Set([
    harness.record.id,
    ...principals.map((p) => p.tokenId).filter((id): id is string => id !== undefined),
  ]);
  const refresh = () => readRealValues(async (path) => (await admin('GET', path)).body, values, own);
  await refresh();
  const context = { doc, operations, principals, values, project: loadProjectPayload(t.project) };
  schemas = new SchemaArbitraries(doc, hintsOf(context));
  arbitrary = fc.oneof(...operations.map((operation) => requestArbitrary(operation, context, schemas)));
  session = new FuzzSession({
    baseUrl: server.url,
    db: t.state.db,
    client: t.stack.client,
    admin,
    operations: new Map(operations.map((o) => [o.key, o])),
    principals: new Map<string, FuzzPrincipal>(principals.map((p) => [p.label, p])),
    neededRoles: neededRoles(server.app as unknown as Parameters<typeof neededRoles>[0], operations),
    refresh,
  });
}, 180_000);

afterAll(async () => {
  await server?.close();
  await t?.dispose();
});

describe('the API under fuzzing', () => {
  it(
    'answers every generated and mutated request within its contract and changes nothing when it refuses',
    async () => {
      const started = Date.now();
      const result = await fc.check(
        fc.asyncProperty(fc.array(arbitrary, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
          await session.runBatch(batch);
        }),
        {
          seed: settings.seed,
          numRuns: Math.max(1, Math.ceil(settings.requests / BATCH)),
          interruptAfterTimeLimit: settings.seconds * 1000,
          markInterruptAsFailure: false,
          endOnFailure: true,
        },
      );
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const reached = operations.filter((o) =>
        [...(session.statuses.get(o.key)?.keys() ?? [])].some((s) => s !== 401 && s !== 404),
      );
      const succeeded = operations.filter((o) =>
        [...(session.statuses.get(o.key)?.keys() ?? [])].some((s) => s < 300),
      );
      const statuses = new Map<number, number>();
      for (const byStatus of session.statuses.values())
        for (const [s, n] of byStatus) statuses.set(s, (statuses.get(s) ?? 0) + n);
      const unknown = session.findings.filter((f) => f.known === null);
      log(
        `seed ${settings.seed}: ${session.sent} requests in ${seconds} s, ${session.batches} batches, ${session.comparedBatches} state comparisons`,
      );
      log(
        `routes covered: ${reached.length}/${operations.length} answered past authentication, ${succeeded.length}/${operations.length} with a 2xx`,
      );
      log(
        `not reached: ${
          operations
            .filter((o) => !reached.includes(o))
            .map((o) => o.key)
            .join(', ') || 'none'
        }; without a 2xx: ${
          operations
            .filter((o) => !succeeded.includes(o))
            .map((o) => o.key)
            .join(', ') || 'none'
        }`,
      );
      log(
        `statuses: ${[...statuses]
          .sort(([a], [b]) => a - b)
          .map(([s, n]) => `${s}×${n}`)
          .join(' ')}`,
      );
      log(
        `schema keywords not generated: ${[...schemas.skipped].map(([k, n]) => `${k}×${n}`).join(' ') || 'none'}`,
      );
      log(`findings: ${unknown.length} new, ${session.findings.length - unknown.length} known`);
      for (const finding of session.findings.slice(0, 40)) log(FuzzSession.describe(finding, settings.seed));
      for (const note of session.unattributed)
        log(`state changed with no request to blame (not failed): ${note}`);
      if (serverErrors.length > 0)
        log(
          `server logged ${serverErrors.length} unexpected errors; first: ${serverErrors[0]!.slice(0, 800)}`,
        );
      expect(result.failed, result.errorInstance ? String(result.errorInstance) : 'the property failed').toBe(
        false,
      );
      expect(
        unknown.map((f) => FuzzSession.describe(f, settings.seed)),
        `findings (SLUICE_FUZZ_SEED=${settings.seed} reproduces them)`,
      ).toEqual([]);
    },
    (settings.seconds + 240) * 1000,
  );
});
