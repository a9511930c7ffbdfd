/**
 * SHA-256 as lowercase hex, for fingerprints. Fingerprints are computed by the API and the
 * scheduler's activities, never in workflow code, so this uses `node:crypto`
 * (test/unit/workflow-imports.test.ts keeps workflows from reaching it).
 */

import { createHash } from 'node:crypto';

/** SHA-256 digest of bytes (or of a string's UTF-8 encoding, lone surrogates as U+FFFD) as 64 lowercase hex characters. */
export function sha256Hex(input: string | Uint8Array): string {
  return createHash('sha256').update(input).digest('hex');
}
