/**
 * Refusals that write on purpose, keyed by operation and status, with the tables they may touch: a
 * reviewed plan refused at apply (stale, behind another plan, changing nothing) is marked `rejected`
 * and the rejection audited, so it does not stay pending for ever (api/routes/plans.ts). The fuzzer
 * checks that such a refusal touches only these tables.
 */

export interface DesignedWrite {
  operation: string;
  status: number;
  tables: readonly string[];
}

export const DESIGNED_WRITES: readonly DesignedWrite[] = [
  { operation: 'POST /api/plans/{id}/apply', status: 409, tables: ['plans', 'audit_log'] },
];

export function designedWrite(operation: string, status: number): DesignedWrite | undefined {
  return DESIGNED_WRITES.find((w) => w.operation === operation && w.status === status);
}
