/**
 * What the scheduler side sends an executor to run one batch of one model: plain SQL text and
 * metadata, JSON-serialisable, no credentials. The executor runs `statements` in one transaction,
 * then the audit queries.
 */

import type { ModelKindName } from '../project/types.ts';

/** One SQL statement; the same shape as an engine's `Statement` (engines/engine.ts). */
export interface Statement {
  sql: string;
  /** the model name, repeated in results and error messages. */
  label?: string;
}

/** An audit ready to run: a query returning the number of offending rows. */
export interface AuditCheck {
  name: string;
  blocking: boolean;
  /** `SELECT COUNT(*) FROM (<audit query>) AS audit`. */
  sql: string;
}

export interface ExecutionRequest {
  model: string;
  /** the snapshot's fingerprint. */
  snapshot: string;
  /** the model's gateway; undefined for the project's default gateway. */
  gateway?: string;
  kind: ModelKindName;
  /** run in order in ONE transaction. */
  statements: Statement[];
  /**
   * How many leading statements only create the physical schema and the (empty) table, or the
   * view: running just those prepares the snapshot's table without writing data.
   */
  createStatements: number;
  /** indexes of the statements whose affected-row counts add up to the rows the batch wrote. */
  writeStatements: number[];
  /** run after the transaction commits, in order. */
  audits: AuditCheck[];
  physical: { schema: string; table: string };
}

/** An audit query rendered for one batch (see core/execution/audits.ts). */
export interface RenderedAudit {
  name: string;
  blocking: boolean;
  /** the audit's query: it returns the offending rows. */
  query: string;
}
