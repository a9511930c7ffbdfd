/**
 * Looking for a secret everywhere sluice keeps or shows things: every event and payload of every
 * workflow history in a namespace (raw, and opened with the payload codec when there is one), the
 * rows of every table of the state database, and any text collected elsewhere (log lines, API
 * replies). Each finding says where the secret was seen.
 */
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type postgres from 'postgres';

export interface Finding {
  where: string;
  secret: string;
}

/** Every place in `texts` (label → text) where one of `secrets` occurs. */
export function scanTexts(texts: Iterable<[string, string]>, secrets: readonly string[]): Finding[] {
  const findings: Finding[] = [];
  for (const [where, text] of texts) {
    for (const secret of secrets) if (text.includes(secret)) findings.push({ where, secret });
  }
  return findings;
}

/** The text of every string and byte array inside `value`, byte arrays read as UTF-8 and as base64. */
async function textsOf(value: unknown, codec: PayloadCodec | undefined, out: string[]): Promise<void> {
  if (value === null || value === undefined) return;
  if (typeof value === 'string') {
    out.push(value);
    return;
  }
  if (value instanceof Uint8Array) {
    const bytes = Buffer.from(value);
    out.push(bytes.toString('utf8'), bytes.toString('base64'));
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) await textsOf(item, codec, out);
    return;
  }
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (codec !== undefined && record.data instanceof Uint8Array && isPayload(record)) {
      const [opened] = await codec.decode([record as Parameters<PayloadCodec['decode']>[0][number]]);
      if (opened !== undefined && opened !== record) await textsOf(opened, undefined, out);
    }
    for (const item of Object.values(record)) await textsOf(item, codec, out);
  }
}

function isPayload(record: Record<string, unknown>): boolean {
  return record.metadata !== null && typeof record.metadata === 'object';
}

/** Findings in every event of every workflow execution the client's namespace holds. */
export async function scanHistories(
  client: Client,
  secrets: readonly string[],
  codec?: PayloadCodec,
): Promise<{ findings: Finding[]; workflows: number; events: number }> {
  const findings: Finding[] = [];
  let workflows = 0;
  let events = 0;
  for await (const execution of client.workflow.list()) {
    workflows += 1;
    const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
    for (const event of history.events ?? []) {
      events += 1;
      const texts: string[] = [];
      await textsOf(event, codec, texts);
      const where = `workflow ${execution.workflowId} (${execution.type}) event ${String(event.eventId)}`;
      findings.push(...scanTexts([[where, texts.join('\n')]], secrets));
    }
  }
  return { findings, workflows, events };
}

/** Findings in every row of every table of `schema`. */
export async function scanDatabase(
  sql: postgres.Sql,
  schema: string,
  secrets: readonly string[],
): Promise<{ findings: Finding[]; tables: number; rows: number }> {
  const tables = await sql<{ name: string }[]>`
    select table_name as name from information_schema.tables
    where table_schema = ${schema} and table_type = 'BASE TABLE'`;
  const findings: Finding[] = [];
  let rows = 0;
  for (const { name } of tables) {
    const found = await sql<{ row: string }[]>`select t::text as row from ${sql(schema)}.${sql(name)} t`;
    rows += found.length;
    findings.push(
      ...scanTexts(
        found.map((r, i) => [`${schema}.${name} row ${i + 1}`, r.row] as [string, string]),
        secrets,
      ),
    );
  }
  return { findings, tables: tables.length, rows };
}
