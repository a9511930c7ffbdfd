/**
 * The state database: what happened (snapshots, intervals, runs, model executions, plans, pauses,
 * audit log). Temporal knows what is running; this schema records the outcome. It never holds a
 * warehouse credential in plain text: scheduler-managed connections are stored sealed (AES-256-GCM,
 * crypto/sealed.ts) under a key only the API and the executors hold.
 *
 * Every table lives in the `sluice` Postgres schema so the state can share a database with other
 * applications. Timestamps are `timestamptz(3)`: millisecond precision, the precision of a
 * JavaScript `Date`, so a value read back compares equal to the value written (keyset cursors rely
 * on it). Interval bounds, waits and durations are epoch milliseconds in `bigint` columns.
 */
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  customType,
  foreignKey,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
} from 'drizzle-orm/pg-core';

export const sluiceSchema = pgSchema('sluice');

export const PLAN_STATUSES = [
  'pending',
  'queued',
  'applying',
  'applied',
  'failed',
  'cancelled',
  /** refused before it was queued (stale, another plan in the way): never applied, with the reason. */
  'rejected',
  /** its apply workflow was terminated from the Temporal side. */
  'terminated',
] as const;
export type PlanStatus = (typeof PLAN_STATUSES)[number];

export const RUN_TRIGGERS = ['schedule', 'manual', 'restatement', 'plan'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

export const RUN_STATUSES = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'skipped',
  /** its workflow was terminated (or timed out) from the Temporal side without reporting. */
  'terminated',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export const EXECUTION_STATUSES = [
  'queued',
  'running',
  'succeeded',
  'failed',
  'skipped',
  'cancelled',
] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

/** One SQL statement an executor ran for a model execution. */
export interface StatementLog {
  sql: string;
  durationMs: number;
  rowsAffected?: number | null;
}

/** An audit an executor ran after a model execution's statements committed. */
export interface ExecutionAuditLog {
  name: string;
  blocking: boolean;
  /** rows the audit found; 0 means it passed. */
  failingRows: number;
}

/** What an executor reports about the SQL behind one model execution. */
export interface ExecutionLog {
  /** the model's query rendered for the interval. */
  renderedSql?: string;
  /** the statements the execution was prepared with, in order, until it reports how they ran. */
  plannedStatements?: string[];
  statements?: StatementLog[];
  /** notices and warnings the warehouse sent back. */
  notices?: string[];
  audits?: ExecutionAuditLog[];
}

const instant = (name: string) => timestamp(name, { withTimezone: true, precision: 3, mode: 'date' });
const epochMs = (name: string) => bigint(name, { mode: 'number' });
const quotedList = (values: readonly string[]) => sql.raw(values.map((value) => `'${value}'`).join(', '));

export const plans = sluiceSchema.table(
  'plans',
  {
    id: text('id').primaryKey(),
    environment: text('environment').notNull(),
    status: text('status').$type<PlanStatus>().notNull(),
    diff: jsonb('diff').$type<unknown>().notNull(),
    submittedBy: text('submitted_by').notNull(),
    submittedAt: instant('submitted_at').notNull().defaultNow(),
    startedAt: instant('started_at'),
    finishedAt: instant('finished_at'),
    error: text('error'),
    progress: jsonb('progress').$type<unknown>(),
    /** the project the plan was computed from, without warehouse credentials (what its application renders). */
    project: jsonb('project').$type<unknown>(),
    /**
     * an auto-applied plan submitted while another was queued or applying: its diff is computed
     * again against the environment when its turn comes.
     */
    recomputeOnTurn: boolean('recompute_on_turn').notNull().default(false),
    /** who cancelled the plan, when it was cancelled. */
    cancelledBy: text('cancelled_by'),
    /** how long the environment lives once the plan is applied (`--ttl`, `sluice: environment_ttl`); null: its expiry stays. */
    environmentTtlMs: epochMs('environment_ttl_ms'),
  },
  (t) => [
    check('plans_status_check', sql`${t.status} in (${quotedList(PLAN_STATUSES)})`),
    index('plans_environment_submitted_idx').on(t.environment, t.submittedAt.desc(), t.id.desc()),
    index('plans_submitted_idx').on(t.submittedAt.desc(), t.id.desc()),
    index('plans_status_idx').on(t.status),
  ],
);

export const environments = sluiceSchema.table(
  'environments',
  {
    name: text('name').primaryKey(),
    createdAt: instant('created_at').notNull().defaultNow(),
    updatedAt: instant('updated_at').notNull().defaultNow(),
    /** the plan whose application last replaced the environment's snapshot map. */
    planId: text('plan_id'),
    /** when the snapshot map was last replaced (the views now point at it). */
    finalizedAt: instant('finalized_at'),
    /** after this time the janitor may remove the environment (development environments). */
    expiresAt: instant('expires_at'),
  },
  (t) => [
    foreignKey({ name: 'environments_plan_fk', columns: [t.planId], foreignColumns: [plans.id] }).onDelete(
      'set null',
    ),
    index('environments_expires_idx').on(t.expiresAt),
  ],
);

export const snapshots = sluiceSchema.table(
  'snapshots',
  {
    /** `<model name>@<fingerprint>`. */
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    fingerprint: text('fingerprint').notNull(),
    metadataHash: text('metadata_hash').notNull(),
    kind: text('kind').notNull(),
    /** the model as loaded. */
    definition: jsonb('definition').$type<Record<string, unknown>>().notNull(),
    /** the rendered, normalised query text the fingerprint was computed from. */
    query: text('query').notNull(),
    /** ids of the snapshots this one reads from. */
    parents: jsonb('parents').$type<string[]>().notNull(),
    physicalSchema: text('physical_schema').notNull(),
    physicalTable: text('physical_table').notNull(),
    gateway: text('gateway').notNull(),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (t) => [
    unique('snapshots_name_fingerprint_key').on(t.name, t.fingerprint),
    index('snapshots_created_idx').on(t.createdAt),
  ],
);

export const environmentSnapshots = sluiceSchema.table(
  'environment_snapshots',
  {
    environment: text('environment').notNull(),
    modelName: text('model_name').notNull(),
    snapshotId: text('snapshot_id').notNull(),
  },
  (t) => [
    primaryKey({ name: 'environment_snapshots_pk', columns: [t.environment, t.modelName] }),
    foreignKey({
      name: 'environment_snapshots_environment_fk',
      columns: [t.environment],
      foreignColumns: [environments.name],
    }).onDelete('cascade'),
    foreignKey({
      name: 'environment_snapshots_snapshot_fk',
      columns: [t.snapshotId],
      foreignColumns: [snapshots.id],
    }).onDelete('restrict'),
    index('environment_snapshots_snapshot_idx').on(t.snapshotId),
  ],
);

/**
 * Completed ranges `[start_ms, end_ms)` per snapshot. The primary key makes recording a range twice
 * a no-op and doubles as the (snapshot, start) index; overlapping or adjacent ranges are kept as
 * recorded and merged on read.
 */
export const intervals = sluiceSchema.table(
  'intervals',
  {
    snapshotId: text('snapshot_id').notNull(),
    startMs: epochMs('start_ms').notNull(),
    endMs: epochMs('end_ms').notNull(),
    recordedAt: instant('recorded_at').notNull().defaultNow(),
    /** the run that produced the range (provenance only: runs may be pruned). */
    runId: text('run_id'),
    /** the model execution that produced the range (provenance only). */
    executionId: text('execution_id'),
  },
  (t) => [
    primaryKey({ name: 'intervals_pk', columns: [t.snapshotId, t.startMs, t.endMs] }),
    foreignKey({
      name: 'intervals_snapshot_fk',
      columns: [t.snapshotId],
      foreignColumns: [snapshots.id],
    }).onDelete('cascade'),
    check('intervals_range_check', sql`${t.endMs} > ${t.startMs}`),
  ],
);

export const runs = sluiceSchema.table(
  'runs',
  {
    /** readable id, the Temporal workflow id of the run. */
    id: text('id').primaryKey(),
    environment: text('environment').notNull(),
    trigger: text('trigger').$type<RunTrigger>().notNull(),
    status: text('status').$type<RunStatus>().notNull(),
    /** the cron tick the run is for (the request time for manual runs). */
    scheduledAt: instant('scheduled_at').notNull(),
    createdAt: instant('created_at').notNull().defaultNow(),
    startedAt: instant('started_at'),
    finishedAt: instant('finished_at'),
    /** names of the models the run covers. */
    models: jsonb('models').$type<string[]>().notNull(),
    planId: text('plan_id'),
    triggeredBy: text('triggered_by'),
    error: text('error'),
    skipReason: text('skip_reason'),
    /** who cancelled the run, when it was cancelled. */
    cancelledBy: text('cancelled_by'),
    /** why a `queued` run waits: a run slot, or another run holding its models. */
    queuedReason: text('queued_reason'),
    /** when a run slot and the run's models were free: the end of its wait (from scheduledAt). */
    readyAt: instant('ready_at'),
    /** when its first statement reached the warehouse: the end of its prep (from readyAt). */
    firstStatementAt: instant('first_statement_at'),
  },
  (t) => [
    check('runs_trigger_check', sql`${t.trigger} in (${quotedList(RUN_TRIGGERS)})`),
    check('runs_status_check', sql`${t.status} in (${quotedList(RUN_STATUSES)})`),
    index('runs_environment_scheduled_idx').on(t.environment, t.scheduledAt.desc(), t.id.desc()),
    index('runs_scheduled_idx').on(t.scheduledAt.desc(), t.id.desc()),
    index('runs_status_idx').on(t.status),
    index('runs_trigger_idx').on(t.trigger),
  ],
);

export const modelExecutions = sluiceSchema.table(
  'model_executions',
  {
    id: text('id').primaryKey(),
    runId: text('run_id').notNull(),
    environment: text('environment').notNull(),
    model: text('model').notNull(),
    snapshotId: text('snapshot_id').notNull(),
    intervalStartMs: epochMs('interval_start_ms'),
    intervalEndMs: epochMs('interval_end_ms'),
    status: text('status').$type<ExecutionStatus>().notNull(),
    /** 1 for the first attempt, raised by each retry. */
    attempt: integer('attempt').notNull().default(0),
    /** identity of the executor that ran the latest attempt. */
    executor: text('executor'),
    queuedAt: instant('queued_at').notNull(),
    /** start of the latest attempt. */
    startedAt: instant('started_at'),
    finishedAt: instant('finished_at'),
    /** from queued to the first start: how long the execution waited for an executor. */
    waitMs: epochMs('wait_ms'),
    /** from the latest start to the finish. */
    durationMs: epochMs('duration_ms'),
    rowsAffected: bigint('rows_affected', { mode: 'number' }),
    error: text('error'),
    skipReason: text('skip_reason'),
    log: jsonb('log').$type<ExecutionLog>(),
  },
  (t) => [
    foreignKey({ name: 'model_executions_run_fk', columns: [t.runId], foreignColumns: [runs.id] }).onDelete(
      'cascade',
    ),
    check('model_executions_status_check', sql`${t.status} in (${quotedList(EXECUTION_STATUSES)})`),
    check(
      'model_executions_interval_check',
      sql`(${t.intervalStartMs} is null and ${t.intervalEndMs} is null) or ${t.intervalEndMs} > ${t.intervalStartMs}`,
    ),
    index('model_executions_model_started_idx').on(t.model, t.environment, t.startedAt.desc()),
    index('model_executions_run_idx').on(t.runId),
    index('model_executions_status_finished_idx').on(t.status, t.finishedAt),
    index('model_executions_environment_finished_idx').on(t.environment, t.finishedAt.desc()),
    index('model_executions_environment_queued_idx').on(t.environment, t.queuedAt.desc(), t.id.desc()),
    index('model_executions_queued_idx').on(t.queuedAt.desc(), t.id.desc()),
    // which executions hold a snapshot (activities/scheduler/claim.ts asks at every segment it
    // prepares) and a snapshot's history (the executions filter of state/executions.ts)
    index('model_executions_snapshot_status_idx').on(t.snapshotId, t.status),
  ],
);

/** A pause of a whole environment (`model` null) or of one model in it. */
export const pauses = sluiceSchema.table(
  'pauses',
  {
    id: text('id').primaryKey(),
    environment: text('environment').notNull(),
    model: text('model'),
    reason: text('reason'),
    pausedBy: text('paused_by').notNull(),
    pausedAt: instant('paused_at').notNull(),
    resumedBy: text('resumed_by'),
    resumedAt: instant('resumed_at'),
  },
  (t) => [
    uniqueIndex('pauses_active_idx')
      .on(t.environment, sql`coalesce(${t.model}, '')`)
      .where(sql`${t.resumedAt} is null`),
    index('pauses_environment_paused_idx').on(t.environment, t.pausedAt.desc()),
  ],
);

export const auditLog = sluiceSchema.table(
  'audit_log',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    at: instant('at').notNull().defaultNow(),
    actor: text('actor').notNull(),
    action: text('action').notNull(),
    target: text('target'),
    environment: text('environment'),
    reason: text('reason'),
    details: jsonb('details').$type<unknown>(),
  },
  (t) => [
    index('audit_log_at_idx').on(t.at.desc(), t.id.desc()),
    index('audit_log_environment_at_idx').on(t.environment, t.at.desc(), t.id.desc()),
  ],
);

export const JANITOR_DROP_STATUSES = ['dropping', 'dropped'] as const;
export type JanitorDropStatus = (typeof JANITOR_DROP_STATUSES)[number];

/**
 * Every physical table the janitor drops, recorded before the drop (`dropping`) and after it
 * (`dropped`): one row per snapshot, so a janitor that died mid-way finds the drops it began and
 * finishes them, and never decides twice about a snapshot.
 */
export const janitorDrops = sluiceSchema.table(
  'janitor_drops',
  {
    snapshotId: text('snapshot_id').primaryKey(),
    gateway: text('gateway').notNull(),
    /** the qualified physical table (or view, for a VIEW model); null for an EMBEDDED model, which has none. */
    physicalTable: text('physical_table'),
    status: text('status').$type<JanitorDropStatus>().notNull(),
    /** the janitor pass (its workflow id) that decided the drop. */
    decidedBy: text('decided_by').notNull(),
    decidedAt: instant('decided_at').notNull(),
    /** the executor that dropped it. */
    executor: text('executor'),
    droppedAt: instant('dropped_at'),
  },
  (t) => [
    check('janitor_drops_status_check', sql`${t.status} in (${quotedList(JANITOR_DROP_STATUSES)})`),
    index('janitor_drops_decided_idx').on(t.decidedAt.desc(), t.snapshotId),
  ],
);

/** `bytea`: postgres.js reads it as a Buffer, PGlite as a Uint8Array; both are Uint8Arrays. */
const bytes = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => 'bytea' });

/**
 * Temporal payloads too large for a workflow history (crypto/stored-payload-codec.ts): the history
 * holds only the key, the SHA-256 of the bytes kept here (already encrypted with SLUICE_PAYLOAD_KEY
 * when it is set). `stored_at` is the last time any process stored the same bytes, so the janitor
 * can tell which rows no open workflow's history may still name (state/stored-payloads.ts).
 */
export const storedPayloads = sluiceSchema.table(
  'stored_payloads',
  {
    key: text('key').primaryKey(),
    data: bytes('data').notNull(),
    size: integer('size').notNull(),
    storedAt: instant('stored_at').notNull(),
  },
  (t) => [index('stored_payloads_stored_at_idx').on(t.storedAt)],
);

export const API_ROLES = ['viewer', 'operator', 'deployer', 'admin'] as const;
export type ApiRole = (typeof API_ROLES)[number];

/**
 * API tokens. The token itself is shown once when created and never stored: only its SHA-256 hash
 * is, so a leaked state database does not leak working tokens. A token acts with its role on the
 * environments its patterns match (`prod`, `dev_*`, `*`).
 */
export const apiTokens = sluiceSchema.table(
  'api_tokens',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    /** hex SHA-256 of the token. */
    tokenHash: text('token_hash').notNull(),
    role: text('role').$type<ApiRole>().notNull(),
    /** environment name patterns (`*` matches any run of characters). */
    environments: jsonb('environments').$type<string[]>().notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: instant('created_at').notNull().defaultNow(),
    expiresAt: instant('expires_at'),
    lastUsedAt: instant('last_used_at'),
    revokedBy: text('revoked_by'),
    revokedAt: instant('revoked_at'),
  },
  (t) => [
    check('api_tokens_role_check', sql`${t.role} in (${quotedList(API_ROLES)})`),
    uniqueIndex('api_tokens_hash_idx').on(t.tokenHash),
    index('api_tokens_created_idx').on(t.createdAt.desc(), t.id.desc()),
  ],
);

export const CONNECTION_TYPES = ['postgres', 'duckdb'] as const;
export type ConnectionType = (typeof CONNECTION_TYPES)[number];

/** A sealed value as crypto/sealed.ts makes it (kept here as a shape so the schema imports nothing). */
export interface SealedValue {
  v: 1;
  keyId: string;
  iv: string;
  data: string;
  tag: string;
}

/**
 * Scheduler-managed warehouse connections, one per gateway: the gateway's `connection:` settings,
 * sealed under `SLUICE_ENCRYPTION_KEY` with the gateway name as associated data, so a row copied
 * to another gateway does not open. The scheduler hands the sealed value to executors with their
 * work; only executors (and the API, while checking a new connection) ever hold the plain text.
 * `type` and `host` are kept in the clear for listing.
 */
export const connections = sluiceSchema.table(
  'connections',
  {
    /** the gateway name, lower-cased. */
    gateway: text('gateway').primaryKey(),
    type: text('type').$type<ConnectionType>().notNull(),
    /** Postgres: the server's host name; DuckDB: the database file's name or `:memory:`. */
    host: text('host'),
    sealed: jsonb('sealed').$type<SealedValue>().notNull(),
    /** the id of the key `sealed` was sealed with (repeated from `sealed` for rotation queries). */
    keyId: text('key_id').notNull(),
    createdAt: instant('created_at').notNull().defaultNow(),
    updatedAt: instant('updated_at').notNull().defaultNow(),
    createdBy: text('created_by').notNull(),
    updatedBy: text('updated_by').notNull(),
    /** when an executor last connected with these settings, and how long that took. */
    lastTestedAt: instant('last_tested_at'),
    lastTestMs: integer('last_test_ms'),
  },
  (t) => [
    check('connections_type_check', sql`${t.type} in (${quotedList(CONNECTION_TYPES)})`),
    check('connections_gateway_check', sql`${t.gateway} = lower(${t.gateway})`),
    check('connections_key_id_check', sql`${t.keyId} = ${t.sealed}->>'keyId'`),
    index('connections_key_id_idx').on(t.keyId),
  ],
);

export const NOTIFICATION_FORMATS = ['json', 'slack'] as const;
export type NotificationFormat = (typeof NOTIFICATION_FORMATS)[number];

/**
 * Webhooks told about runs and plans of the environments their pattern matches (`prod`, `pr_*`,
 * `*`). The signing secret is kept in plain text, unlike warehouse connections: the scheduler
 * worker signs every delivery and deliberately holds no `SLUICE_ENCRYPTION_KEY` (that key opens
 * warehouse credentials). The secret only lets its holder forge a notification; it is shown once
 * when the webhook is created and never returned by the API again.
 */
export const notificationWebhooks = sluiceSchema.table(
  'notification_webhooks',
  {
    id: text('id').primaryKey(),
    /** an environment name or pattern (`*` matches any run of characters). */
    environment: text('environment').notNull(),
    url: text('url').notNull(),
    /** the event types it is told about (core/notifications/events.ts). */
    events: jsonb('events').$type<string[]>().notNull(),
    format: text('format').$type<NotificationFormat>().notNull(),
    /** the HMAC-SHA256 signing secret, `whsec_` and 64 hex digits. */
    secret: text('secret').notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: instant('created_at').notNull().defaultNow(),
  },
  (t) => [
    check('notification_webhooks_format_check', sql`${t.format} in (${quotedList(NOTIFICATION_FORMATS)})`),
    index('notification_webhooks_created_idx').on(t.createdAt.desc(), t.id.desc()),
  ],
);

/**
 * One event to deliver to one webhook, with the body every attempt sends. `eventKey` says what the
 * event is about (`run:<id>:run.failed`, `stuck:<workflow id>`): a webhook gets each key once.
 */
export const notificationDeliveries = sluiceSchema.table(
  'notification_deliveries',
  {
    /** the delivery id receivers see in `Sluice-Delivery`. */
    id: text('id').primaryKey(),
    webhookId: text('webhook_id').notNull(),
    eventType: text('event_type').notNull(),
    eventKey: text('event_key').notNull(),
    environment: text('environment').notNull(),
    body: jsonb('body').$type<Record<string, unknown>>().notNull(),
    createdAt: instant('created_at').notNull().defaultNow(),
    /** `pending` until an attempt is answered with 2xx (`delivered`) or the last one fails (`failed`). */
    status: text('status').$type<'pending' | 'delivered' | 'failed'>().notNull().default('pending'),
  },
  (t) => [
    foreignKey({
      name: 'notification_deliveries_webhook_fk',
      columns: [t.webhookId],
      foreignColumns: [notificationWebhooks.id],
    }).onDelete('cascade'),
    check('notification_deliveries_status_check', sql`${t.status} in ('pending', 'delivered', 'failed')`),
    unique('notification_deliveries_event_key').on(t.webhookId, t.eventKey),
    index('notification_deliveries_webhook_created_idx').on(t.webhookId, t.createdAt.desc(), t.id.desc()),
  ],
);

/** Every attempt at a delivery: the receiver's status code, or the error when none came back. */
export const notificationAttempts = sluiceSchema.table(
  'notification_attempts',
  {
    deliveryId: text('delivery_id').notNull(),
    /** 1 for the first attempt (Temporal's activity attempt). */
    attempt: integer('attempt').notNull(),
    at: instant('at').notNull(),
    statusCode: integer('status_code'),
    error: text('error'),
    durationMs: integer('duration_ms').notNull(),
  },
  (t) => [
    primaryKey({ name: 'notification_attempts_pk', columns: [t.deliveryId, t.attempt] }),
    foreignKey({
      name: 'notification_attempts_delivery_fk',
      columns: [t.deliveryId],
      foreignColumns: [notificationDeliveries.id],
    }).onDelete('cascade'),
  ],
);
