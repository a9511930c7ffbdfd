/**
 * Findings the fuzzer knows about and that are not fixed yet, keyed by operation and status: a
 * response matching one (and the request it describes) is counted and printed, not failed. Each
 * entry says what is wrong; remove it when the fix lands, and the fuzzer checks that route fully again.
 */
import type { FuzzRequest } from './fuzz-request.ts';

export interface KnownFinding {
  /** `METHOD /template`, or `*` for every operation. */
  operations: readonly string[];
  statuses: readonly number[];
  /** the problems the entry excuses; any other problem with the same answer stays new. */
  problem: RegExp;
  /** the requests the finding is about, so an entry excuses only them. */
  when: (request: FuzzRequest) => boolean;
  what: string;
}

export const KNOWN_FINDINGS: readonly KnownFinding[] = [];

/** The known findings about this answer, each excusing only the problems it names. */
export function knownFindings(operation: string, status: number, request: FuzzRequest): KnownFinding[] {
  return KNOWN_FINDINGS.filter(
    (f) =>
      (f.operations.includes(operation) || f.operations.includes('*')) &&
      f.statuses.includes(status) &&
      f.when(request),
  );
}
