/**
 * Lists handed to executors in several activities instead of one: each chunk's JSON stays under a
 * byte budget, so no executor's payload grows with the number of models (executors cannot read the
 * payloads the scheduler keeps in its state database). Pure and deterministic: workflows use it.
 */

/** The budget of a list of names or view entries sent to an executor in one activity. */
export const EXECUTOR_LIST_BYTES = 128 * 1024;

/**
 * `items` in consecutive chunks whose JSON (as a list) is at most `maxBytes` of UTF-8, in order; an
 * item over the budget on its own is a chunk of one. No chunk is empty.
 */
export function chunksUnder<T>(items: readonly T[], maxBytes: number): T[][] {
  const chunks: T[][] = [];
  let chunk: T[] = [];
  let bytes = 2;
  for (const item of items) {
    const size = utf8Length(JSON.stringify(item));
    // a comma before every item but the first
    if (chunk.length > 0 && bytes + 1 + size > maxBytes) {
      chunks.push(chunk);
      chunk = [];
      bytes = 2;
    }
    bytes += size + (chunk.length > 0 ? 1 : 0);
    chunk.push(item);
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/** The UTF-8 length of `text`, without Buffer or TextEncoder (absent from workflow code). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}
