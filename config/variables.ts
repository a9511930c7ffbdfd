/**
 * Every environment variable sluice reads, declared once: its value's schema (with its default),
 * which processes read it, what the README shows as its default, and what it means. The README's
 * configuration table is generated from this list (config/readme-table.ts).
 */
import type { z } from 'zod';
import { ALLOWED_HOSTS_EXPECTATION, parseAllowedHosts } from './allowed-hosts.ts';
import { ARTIFACT_LOCATION_EXPECTATION, parseArtifactLocation } from './artifact-location.ts';
import { BROWSER_ORIGINS_EXPECTATION, parseBrowserOrigins } from './browser-origins.ts';
import {
  DEFAULT_API_HOST,
  DEFAULT_API_PORT,
  DEFAULT_API_URL,
  DEFAULT_CODEC_HOST,
  DEFAULT_CODEC_PORT,
  DEFAULT_CONNECTION_TEST_TIMEOUT_MS,
  DEFAULT_ENV_FILE_POLL_MS,
  DEFAULT_EXECUTOR_GONE_AFTER_MS,
  DEFAULT_POLL_MS,
  DEFAULT_PRESENCE_INTERVAL_MS,
  DEFAULT_READY_TIMEOUT_MS,
  DEFAULT_SHUTDOWN_GRACE_MS,
} from './defaults.ts';
import { parsePort } from './port.ts';
import { DEFAULT_ARTIFACT_RETENTION_MS, parseRetention, RETENTION_EXPECTATION } from './retention.ts';
import {
  databaseUrl,
  duration,
  httpUrl,
  listenHost,
  matching,
  oneOf,
  parsed,
  pemPath,
  port,
  runPriority,
  text,
  wholeNumber,
} from './schemas.ts';

/** The processes (and tools) that read configuration. */
export const READERS = {
  api: '`sluice api`',
  scheduler: 'scheduler worker',
  executor: 'run and apply executors',
  dev: '`sluice dev`',
  cli: 'CLI',
  codec: '`sluice codec-server`',
  tests: 'tests',
  bench: 'benchmarks',
  deploy: 'deploy scripts',
} as const;

export type Reader = keyof typeof READERS;

export interface Variable {
  /** takes the trimmed text (undefined when unset or empty) and gives the typed value. */
  schema: z.ZodType<unknown, string | undefined>;
  readBy: readonly Reader[];
  /** the default as the README shows it; empty when there is none. */
  default: string;
  description: string;
  /** the value is never shown in an error (keys, passwords, URLs that may hold one). */
  secret?: boolean;
  /** a value of only spaces is refused instead of counting as unset. */
  keepEmpty?: boolean;
}

function declare<const V extends Record<string, Variable>>(variables: V): V {
  return variables;
}

export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';
const ALL_TEMPORAL = ['api', 'scheduler', 'executor', 'dev'] as const;
const DEFAULT_CORS_ORIGINS = ['http://localhost:8233', 'http://127.0.0.1:8233'];
/** the shortest SLUICE_METRICS_TOKEN accepted: guessing it must be out of reach. */
export const MIN_METRICS_TOKEN_LENGTH = 32;

export const VARIABLES = declare({
  TEMPORAL_ADDRESS: {
    schema: parsed('expected host:port, e.g. 127.0.0.1:7233', (value) => {
      const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d+)$/.exec(value);
      return match && parsePort(match[2]!) !== undefined ? value : undefined;
    }).optional(),
    readBy: [...ALL_TEMPORAL, 'deploy'],
    default: `\`${DEFAULT_TEMPORAL_ADDRESS}\``,
    description: 'the Temporal frontend; `sluice dev` starts its own dev server when unset',
  },
  TEMPORAL_NAMESPACE: {
    schema: matching(
      /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
      "expected a namespace of letters, digits, '.', '_' and '-', starting with a letter or digit",
    ).default('default'),
    readBy: [...ALL_TEMPORAL, 'deploy'],
    default: '`default`',
    description: 'the Temporal namespace',
  },
  TEMPORAL_TLS_CERT: {
    schema: pemPath().optional(),
    readBy: ALL_TEMPORAL,
    default: '',
    description: 'client certificate file for mTLS; needs `TEMPORAL_TLS_KEY`',
  },
  TEMPORAL_TLS_KEY: {
    schema: pemPath().optional(),
    readBy: ALL_TEMPORAL,
    default: '',
    description: "the client certificate's key file (mTLS)",
    secret: true,
  },
  TEMPORAL_TLS_CA: {
    schema: pemPath().optional(),
    readBy: ALL_TEMPORAL,
    default: "the system's roots",
    description: "the Temporal server's root CA file",
  },
  TEMPORAL_TLS_SERVER_NAME: {
    schema: text().optional(),
    readBy: ALL_TEMPORAL,
    default: "the address's host",
    description: 'the TLS server name to verify, when it is not the host of `TEMPORAL_ADDRESS`',
  },
  TEMPORAL_API_KEY: {
    schema: text().optional(),
    readBy: ALL_TEMPORAL,
    default: '',
    description: 'API key (Temporal Cloud); implies TLS; not together with `TEMPORAL_TLS_CERT`',
    secret: true,
  },
  SLUICE_PAYLOAD_KEY: {
    schema: text().optional(),
    readBy: [...ALL_TEMPORAL, 'codec'],
    default: 'off',
    description:
      'encrypts every Temporal payload with AES-256-GCM: a 32-byte key as base64 (`openssl rand -base64 32`) or 64 hex digits, optionally `<id>:<key>`; the same in every process that talks to Temporal',
    secret: true,
  },
  SLUICE_PAYLOAD_KEY_PREVIOUS: {
    schema: text().optional(),
    readBy: [...ALL_TEMPORAL, 'codec'],
    default: '',
    description:
      'older payload keys, comma-separated (`<id>:<key>,...`), only to read payloads sealed before a rotation',
    secret: true,
  },
  SLUICE_DATABASE_URL: {
    schema: databaseUrl().optional(),
    readBy: ['api', 'scheduler', 'dev', 'bench'],
    default: 'PGlite in `$SLUICE_HOME/state`',
    description: 'the state database: `postgres://…`, or `memory://` for a throw-away one',
    secret: true,
  },
  SLUICE_HOME: {
    schema: text().optional(),
    readBy: ['api', 'scheduler', 'dev'],
    default: '`<project>/.sluice` (`sluice dev`), `./.sluice` (others)',
    description:
      "sluice's own files: the embedded PGlite state database in `state/`, and for `sluice dev` the dev server's `temporal.db`",
  },
  SLUICE_ARTIFACTS: {
    schema: parsed(ARTIFACT_LOCATION_EXPECTATION, parseArtifactLocation).optional(),
    readBy: ['api', 'scheduler', 'dev'],
    default: '`$SLUICE_HOME/artifacts`',
    description:
      'where each run and plan leaves its artifacts (run_results.json, compiled SQL, plan summary): a folder, or an S3-compatible bucket as `s3://bucket/prefix` (see the SLUICE_ARTIFACTS_S3_… variables)',
  },
  SLUICE_ARTIFACTS_S3_ENDPOINT: {
    schema: httpUrl().optional(),
    readBy: ['api', 'scheduler', 'dev'],
    default: '`https://s3.<region>.amazonaws.com`',
    description:
      'with `SLUICE_ARTIFACTS=s3://…`: the S3-compatible server (MinIO, Ceph, …), addressed path-style',
  },
  SLUICE_ARTIFACTS_S3_REGION: {
    schema: matching(/^[a-z0-9-]{1,40}$/, 'expected a region name such as us-east-1').default('us-east-1'),
    readBy: ['api', 'scheduler', 'dev'],
    default: '`us-east-1`',
    description: 'with `SLUICE_ARTIFACTS=s3://…`: the region requests are signed for (SigV4)',
  },
  SLUICE_ARTIFACTS_S3_ACCESS_KEY_ID: {
    schema: text().optional(),
    readBy: ['api', 'scheduler', 'dev'],
    default: '',
    description: 'with `SLUICE_ARTIFACTS=s3://…`: the access key id (required)',
  },
  SLUICE_ARTIFACTS_S3_SECRET_ACCESS_KEY: {
    schema: text().optional(),
    readBy: ['api', 'scheduler', 'dev'],
    default: '',
    description: 'with `SLUICE_ARTIFACTS=s3://…`: the secret access key (required)',
    secret: true,
  },
  SLUICE_ARTIFACT_RETENTION: {
    schema: parsed(RETENTION_EXPECTATION, parseRetention).default(DEFAULT_ARTIFACT_RETENTION_MS),
    readBy: ['scheduler', 'dev'],
    default: '`90d`',
    description:
      'how long artifacts are kept after their run: a duration (`30d`, `12h`) or `forever`; a daily sweep deletes older ones',
  },
  SLUICE_JANITOR_GRACE: {
    schema: duration().default(86_400_000),
    readBy: ['scheduler', 'dev'],
    default: '`1d`',
    description:
      'how long a snapshot no environment or open plan uses is kept before the janitor drops its physical table (`12h`, `2d`)',
  },
  SLUICE_TEMPORAL_PORT: {
    schema: port().default(7233),
    readBy: ['dev'],
    default: '`7233`',
    description: "the dev server's port",
  },
  SLUICE_TEMPORAL_UI_PORT: {
    schema: port().default(8233),
    readBy: ['dev'],
    default: '`8233`',
    description: "the dev server's Web UI port",
  },
  SLUICE_TEMPORAL_CLI: {
    schema: text().optional(),
    readBy: ['dev', 'tests'],
    default: '`PATH`, then `.tools/temporal/bin`',
    description: 'the `temporal` binary that runs the dev server',
  },
  SLUICE_TEMPORAL_TEST_SERVER: {
    schema: text().optional(),
    readBy: ['tests'],
    default: '`PATH`, then `.tools/temporal/bin`',
    description: 'the `temporal-test-server` binary of the time-skipping workflow tests',
  },
  SLUICE__DEFAULT_GATEWAY: {
    schema: text().optional(),
    readBy: ['executor', 'dev'],
    default: 'the first',
    description: 'the gateway used when a project names none (also `SQLMESH__DEFAULT_GATEWAY`)',
  },
  SLUICE_EXECUTOR_IDENTITY: {
    schema: parsed('expected 1 to 200 printable characters', (value) =>
      value.length >= 1 && value.length <= 200 && !/[\x00-\x1f]/.test(value) ? value : undefined,
    ).optional(),
    readBy: ['scheduler', 'executor'],
    default: '`<role>@<host>:<pid>`',
    description: 'how the worker names itself to Temporal, in history and in reports',
    keepEmpty: true,
  },
  SLUICE_SHUTDOWN_GRACE: {
    schema: duration({ allowZero: true }).default(DEFAULT_SHUTDOWN_GRACE_MS),
    readBy: ['scheduler', 'executor', 'dev'],
    default: '`30s`',
    description: 'how long a stopping worker lets in-flight work finish (SIGTERM)',
  },
  SLUICE_HEALTH_PORT: {
    schema: port().optional(),
    readBy: ['scheduler', 'executor'],
    default: 'none',
    description: 'serve `/healthz` and `/readyz` on this port (workers/health-server.ts)',
  },
  SLUICE_HEALTH_HOST: {
    schema: listenHost().default('0.0.0.0'),
    readBy: ['scheduler', 'executor'],
    default: '`0.0.0.0`',
    description: 'the address the health port listens on',
  },
  SLUICE_READY_TIMEOUT: {
    schema: duration().default(DEFAULT_READY_TIMEOUT_MS),
    readBy: ['scheduler', 'executor'],
    default: '`5s`',
    description:
      'how long each readiness check (Temporal, each gateway, the state database) may take before it counts as failed',
  },
  SLUICE_ENV_FILE: {
    schema: text().optional(),
    readBy: ['executor'],
    default: '',
    description:
      'a mounted `.env` file of `SLUICE__…`/`SQLMESH__…` gateway variables, merged over the environment (the file wins) and re-read when it changes (workers/env-file.ts)',
  },
  SLUICE_ENV_FILE_POLL: {
    schema: duration().default(DEFAULT_ENV_FILE_POLL_MS),
    readBy: ['executor'],
    default: '`2s`',
    description: 'how often the env file is checked for changes (and as each batch starts)',
  },
  SLUICE_MAX_MEMORY_MB: {
    schema: wholeNumber('megabytes', 2048).optional(),
    readBy: ['executor'],
    default: 'no limit',
    description:
      "a batch that takes the process's RSS past this many MiB is stopped, rolled back and failed with `MEMORY_LIMIT` (not retried); also DuckDB's `memory_limit` unless the gateway's `connector_config` sets one",
  },
  SLUICE_PRESENCE_INTERVAL: {
    schema: duration().default(DEFAULT_PRESENCE_INTERVAL_MS),
    readBy: ['executor', 'dev'],
    default: '`15s`',
    description: 'how often an executor reports its presence to the executor registry',
  },
  SLUICE_ENCRYPTION_KEY: {
    schema: text().optional(),
    readBy: ['api', 'executor', 'dev'],
    default: '',
    description:
      'the key scheduler-managed connections are sealed with: 32 bytes as base64 (`openssl rand -base64 32`) or hex, optionally `<id>:<key>`; the same on the API and every executor that uses them. An executor with it may start without gateways of its own',
    secret: true,
  },
  SLUICE_ENCRYPTION_KEY_PREVIOUS: {
    schema: text().optional(),
    readBy: ['api', 'executor', 'dev'],
    default: '',
    description:
      'older connection keys, comma-separated, accepted for opening while `sluice connections rotate-key` moves everything to the current one',
    secret: true,
  },
  SLUICE_PUBLIC_API_URL: {
    schema: httpUrl().optional(),
    readBy: ['api', 'scheduler', 'dev'],
    default: '',
    description:
      "the API's address as notification receivers and pull request readers reach it: each notification links to its run or plan there, each pull request summary to its environment's dashboard page (the request's own address when unset)",
  },
  SLUICE_TEMPORAL_UI_URL: {
    schema: httpUrl().optional(),
    readBy: ['api', 'scheduler', 'dev'],
    default: '',
    description:
      "Temporal's Web UI address: each notification, and each workflow the dashboard shows, links to its workflow there (`sluice dev` links to its own dev server's UI)",
  },
  SLUICE_CONNECTION_TEST_TIMEOUT: {
    schema: duration().default(DEFAULT_CONNECTION_TEST_TIMEOUT_MS),
    readBy: ['api', 'dev'],
    default: '`30s`',
    description: 'how long adding a connection waits for an apply executor to test it',
  },
  SLUICE_API_HOST: {
    schema: listenHost().default(DEFAULT_API_HOST),
    readBy: ['api', 'dev'],
    default: '`127.0.0.1`',
    description: 'the address the API listens on',
  },
  SLUICE_API_PORT: {
    schema: port({ allowZero: true }).default(DEFAULT_API_PORT),
    readBy: ['api', 'dev'],
    default: '`8787`',
    description: 'the port the API listens on (0 picks a free one)',
  },
  SLUICE_API_AUTH: {
    schema: oneOf(['tokens', 'off']).optional(),
    readBy: ['api', 'dev'],
    default: 'from the bind address and the stored tokens',
    description: '`tokens` or `off` (`off` only on loopback)',
  },
  SLUICE_API_ALLOWED_HOSTS: {
    schema: parsed(ALLOWED_HOSTS_EXPECTATION, parseAllowedHosts).optional(),
    readBy: ['api', 'dev'],
    default: 'any Host (tokens on)',
    description:
      'with tokens on, the Host values served, comma-separated `host` (no port, as browsers send it for 80 and 443) or `host:port`, as the API receives them behind a proxy; any other Host gets 403 (loopback names with the listening port are always served). With authentication off only loopback names are served and this is not read',
  },
  SLUICE_METRICS_TOKEN: {
    schema: parsed(
      `expected a bearer secret of at least ${MIN_METRICS_TOKEN_LENGTH} characters without spaces, e.g. from \`openssl rand -hex 32\``,
      (value) =>
        value.length >= MIN_METRICS_TOKEN_LENGTH && /^[\x21-\x7e]+$/.test(value) ? value : undefined,
    ).optional(),
    readBy: ['api', 'dev'],
    default: '',
    description:
      'with tokens on, a bearer secret that may read `GET /metrics` (for Prometheus) besides API tokens; long and random (`openssl rand -hex 32`), compared in constant time',
    secret: true,
  },
  SLUICE_EXECUTOR_GONE_AFTER: {
    schema: duration().default(DEFAULT_EXECUTOR_GONE_AFTER_MS),
    readBy: ['api', 'dev'],
    default: '`60s`',
    description:
      "how long an executor may go unheard before it is listed as `gone`, and how long a cleanly stopped one stays `stopped`; keep it a few times the presence interval, and the executors' clocks in sync (NTP)",
  },
  SLUICE_RUN_SLOTS: {
    schema: wholeNumber('runs', 3).optional(),
    readBy: ['api', 'dev'],
    default: 'no limit',
    description:
      'how many runs may execute at once across every environment of the Temporal namespace; a run waiting for a slot is `queued` with the reason. Environment workflows started by this API use it (an environment already running keeps the value it started with until it is restarted)',
  },
  SLUICE_RUN_PRIORITY: {
    schema: runPriority().default({}),
    readBy: ['api', 'dev'],
    default: 'every environment 0',
    description:
      'which environments get a free run slot first, e.g. `prod=10,staging=5`: the highest number first, first come first within a number; environments not named have 0',
  },
  SLUICE_STUCK_AFTER: {
    schema: duration({ allowZero: true }).default(3_600_000),
    readBy: ['api', 'dev'],
    default: '`1h`',
    description:
      'the least time a run or plan application may go before the watchdog calls it stuck; environment workflows started by this API use it too',
  },
  SLUICE_CODEC_HOST: {
    schema: listenHost().default(DEFAULT_CODEC_HOST),
    readBy: ['codec'],
    default: '`127.0.0.1`',
    description: 'the address the codec server listens on',
  },
  SLUICE_CODEC_PORT: {
    schema: port({ allowZero: true }).default(DEFAULT_CODEC_PORT),
    readBy: ['codec'],
    default: '`8888`',
    description: 'the port the codec server listens on (0 picks a free one)',
  },
  SLUICE_CODEC_CORS_ORIGINS: {
    schema: parsed(BROWSER_ORIGINS_EXPECTATION, parseBrowserOrigins).default(DEFAULT_CORS_ORIGINS),
    readBy: ['codec', 'api', 'dev'],
    default: DEFAULT_CORS_ORIGINS.map((origin) => `\`${origin}\``).join(', '),
    description: 'the Web UI origins allowed to call the codec endpoint, comma-separated; `*` is refused',
  },
  SLUICE_API_URL: {
    schema: httpUrl().default(DEFAULT_API_URL),
    readBy: ['cli'],
    default: '`http://127.0.0.1:8787`',
    description: 'where the CLI finds the API',
  },
  SLUICE_TOKEN: {
    schema: text().optional(),
    readBy: ['cli'],
    default: '',
    description: 'the API token the CLI sends',
    secret: true,
  },
  SLUICE_POLL_MS: {
    schema: wholeNumber('milliseconds', DEFAULT_POLL_MS).default(DEFAULT_POLL_MS),
    readBy: ['cli'],
    default: '`1000`',
    description: 'how often `sluice plan --wait` asks the API for the plan’s progress, in milliseconds',
  },
  SLUICE_TEST_DATABASE_URL: {
    schema: databaseUrl().default('postgres://postgres@127.0.0.1:5432/test'),
    readBy: ['tests'],
    default: '`postgres://postgres@127.0.0.1:5432/test`',
    description: 'the PostgreSQL the tests make their scratch databases in',
    secret: true,
  },
  SLUICE_BENCH_DATABASE_URL: {
    schema: databaseUrl().default('postgres://postgres@127.0.0.1:5432/postgres'),
    readBy: ['bench'],
    default: '`postgres://postgres@127.0.0.1:5432/postgres`',
    description: 'the PostgreSQL the history-reads benchmark makes its databases in',
    secret: true,
  },
  BENCH_ENVIRONMENTS: {
    schema: wholeNumber('environments', 100).default(100),
    readBy: ['bench'],
    default: '`100`',
    description: 'how many environments the schedule-precision benchmark runs',
  },
  SLUICE_BOOTSTRAP_PORT: {
    schema: port().default(8788),
    readBy: ['deploy'],
    default: '`8788`',
    description:
      'deploy/bootstrap-admin-token.sh: the loopback port of the API it starts to make the first token',
  },
  SLUICE_BOOTSTRAP_TOKEN_NAME: {
    schema: text().default('admin'),
    readBy: ['deploy'],
    default: '`admin`',
    description: 'deploy/bootstrap-admin-token.sh: the name of the first admin token',
  },
  SLUICE_BOOTSTRAP_TOKEN_FILE: {
    schema: text().optional(),
    readBy: ['deploy'],
    default: 'stdout',
    description: 'deploy/bootstrap-admin-token.sh: the file (mode 600) the first admin token is written to',
  },
  SLUICE_SETUP_WAIT: {
    schema: wholeNumber('seconds', 120).default(120),
    readBy: ['deploy'],
    default: '`120`',
    description:
      'deploy/temporal-search-attributes.sh: how many seconds to wait for the Temporal namespace to exist',
  },
});

/**
 * Variables whose names are made from a pattern: documented here, read by the code that owns them
 * (the gateways' connection settings, core/project/env-overrides.ts).
 */
export const PATTERNS: ReadonlyArray<Omit<Variable, 'schema'> & { name: string }> = [
  {
    name: 'SLUICE__GATEWAYS__<NAME>__CONNECTION__<KEY>',
    readBy: ['executor', 'dev'],
    default: '',
    description:
      "one per gateway and setting: the warehouse connections, over the project's `config.yaml` (also `SQLMESH__...`; `SLUICE__` wins); never read by the scheduler side",
    secret: true,
  },
];

export type VariableName = keyof typeof VARIABLES;

/** The variables `reader` reads, as a union of names. */
export type VariablesOf<R extends Reader> = {
  [K in VariableName]: R extends (typeof VARIABLES)[K]['readBy'][number] ? K : never;
}[VariableName];

/** The typed values of some variables. */
export type Values<K extends VariableName> = {
  [P in K]: z.output<(typeof VARIABLES)[P]['schema']>;
};
