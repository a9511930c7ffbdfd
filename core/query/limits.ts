/**
 * The bounds of a query asked of an executor (`sluice fetchdf`, `POST /api/environments/{env}/query`):
 * how many rows it returns, how long it may run, and how many bytes its rows may take, so the
 * answer stays well under Temporal's 2 MB payload limit. The API checks the first two; the
 * executor applies all three.
 */
import type { CountLimit } from '../validation/limits.ts';

/** Rows a query returns (100 when a request names none). */
export const QUERY_ROW_LIMIT: CountLimit = { min: 1, max: 10_000 };
export const DEFAULT_QUERY_ROWS = 100;

/**
 * Milliseconds a query may run on the warehouse (30 s when a request names none); at most 4 minutes,
 * so the answer, with the wait for an executor, comes before an HTTP client's usual 5-minute limit.
 */
export const QUERY_TIMEOUT_LIMIT: CountLimit = { min: 100, max: 240_000 };
export const DEFAULT_QUERY_TIMEOUT_MS = 30_000;

/** Bytes the rows of a query's answer may take as JSON; rows past it are left out (truncated). */
export const MAX_QUERY_RESULT_BYTES = 1_000_000;
