/**
 * The loaded shape of a sluice project: what `loadProject` returns and what every other layer reads.
 * Plain data only (JSON-serialisable), so a loaded project can travel in a Temporal payload or an
 * HTTP body unchanged.
 */

export type IntervalUnit =
  | 'year'
  | 'month'
  | 'day'
  | 'hour'
  | 'half_hour'
  | 'quarter_hour'
  | 'five_minute'
  | 'minute';

export type ModelKind =
  | { name: 'VIEW'; materialized: boolean }
  | { name: 'FULL' }
  | {
      name: 'INCREMENTAL_BY_TIME_RANGE';
      timeColumn: string;
      /** strftime-style format of the time column when it is a string column, as in SQLMesh. */
      timeColumnFormat?: string;
      /** intervals per execution; undefined = all missing intervals in one batch. */
      batchSize?: number;
      /** number of already-processed intervals to re-run before the missing ones. */
      lookback: number;
    }
  | { name: 'INCREMENTAL_BY_UNIQUE_KEY'; uniqueKey: string[]; batchSize?: number; lookback: number }
  | { name: 'SEED'; path: string; batchSize?: number }
  | { name: 'EMBEDDED' };

export type ModelKindName = ModelKind['name'];

/** Where something was written: a project-relative file and a 1-based line. */
export interface SourceLocation {
  file: string;
  line: number;
}

export interface ColumnDefinition {
  name: string;
  type: string;
}

export interface AuditReference {
  name: string;
  /** audit arguments as written (SQL text), e.g. `{ column: 'id' }`. */
  args: Record<string, string>;
}

export interface Model {
  /** `schema.table`, lower-cased as SQLMesh normalises unquoted identifiers. */
  name: string;
  schema: string;
  table: string;
  kind: ModelKind;
  dialect: string;
  /** cron expression as written (`@daily`, `0 10 * * *`, ...). */
  cron: string;
  /** IANA time zone the cron is read in; `UTC` by default. */
  cronTz: string;
  intervalUnit: IntervalUnit;
  /**
   * start as written (`'2020-01-01'`, `'1 week ago'`, epoch ms) and resolved at load time. `raw` is
   * `''` when no start is written anywhere: the start is then inferred as SQLMesh does (the parents'
   * earliest start, else the cron tick before the latest one at load time).
   */
  start: { raw: string; ms: number };
  /** end as written; `ms` is exclusive: a date-only end (`'2024-12-31'`) covers that whole day. */
  end?: { raw: string; ms: number };
  /** every model this one reads from: references found in the query plus explicit `depends_on`. */
  dependsOn: string[];
  /** `depends_on` exactly as declared (kept apart because it is part of the definition). */
  explicitDependsOn: string[];
  grains: string[];
  columns: ColumnDefinition[];
  audits: AuditReference[];
  owner?: string;
  description?: string;
  tags: string[];
  enabled: boolean;
  /** gateway named by the model, or undefined for the project's default gateway. */
  gateway?: string;
  /** the query as written after the header, without the trailing semicolon. */
  query: string;
  /** for SEED models: the CSV text, read at load time. */
  seed?: { path: string; content: string };
  location: SourceLocation;
}

export interface Audit {
  name: string;
  query: string;
  /** blocking audits fail the execution; non-blocking ones only warn. */
  blocking: boolean;
  dialect?: string;
  defaults: Record<string, string>;
  location: SourceLocation;
}

export type GatewayType = 'duckdb' | 'postgres';

export interface GatewayConnection {
  type: GatewayType;
  [key: string]: string | number | boolean;
}

export interface ModelDefaults {
  dialect?: string;
  kind?: string;
  cron?: string;
  cron_tz?: string;
  start?: string;
  interval_unit?: IntervalUnit;
  owner?: string;
  enabled?: boolean;
  /** gateway for models that name none (lower-cased). */
  gateway?: string;
}

/** How a pull request's environment is planned (`sluice: ci:` in config.yaml). */
export interface CiSettings {
  /** whole UTC days before today that a pull request's environment backfills. */
  backfillDays: number;
}

export interface ProjectConfig {
  gateways: Record<string, { connection: GatewayConnection }>;
  defaultGateway: string;
  modelDefaults: ModelDefaults;
  /** `sluice: ci:`, when the project sets it. */
  ci?: CiSettings;
  /** `sluice: environment_ttl`: how long a non-prod environment lives after each plan applied to it. */
  environmentTtlMs?: number;
}

export interface Project {
  /** absolute path of the project folder. */
  root: string;
  config: ProjectConfig;
  /** models in topological order (every model after the models it depends on). */
  models: Model[];
  audits: Record<string, Audit>;
  /** things sluice ignored but the user may want to know (unused config sections, ...). */
  notices: string[];
}

/** One problem found while loading; the loader collects all of them before failing. */
export interface ProjectIssue {
  file: string;
  line: number;
  message: string;
  /** the offending text, when there is one. */
  text?: string;
}

export class ProjectError extends Error {
  constructor(readonly issues: ProjectIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'ProjectError';
  }
}

export function formatIssue(issue: ProjectIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}` : issue.file;
  return issue.text ? `${where}: ${issue.message} (${issue.text})` : `${where}: ${issue.message}`;
}
