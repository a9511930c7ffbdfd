/**
 * The defaults of the variables in config/variables.ts, named, so the code that needs a default
 * without a parsed configuration (a server started from a test, a helper's fallback) uses the same
 * value the configuration does.
 */
export const DEFAULT_API_HOST = '127.0.0.1';
export const DEFAULT_API_PORT = 8787;
export const DEFAULT_API_URL = `http://${DEFAULT_API_HOST}:${DEFAULT_API_PORT}`;
export const DEFAULT_CODEC_HOST = '127.0.0.1';
export const DEFAULT_CODEC_PORT = 8888;
export const DEFAULT_CONNECTION_TEST_TIMEOUT_MS = 30_000;
export const DEFAULT_EXECUTOR_GONE_AFTER_MS = 60_000;
export const DEFAULT_PRESENCE_INTERVAL_MS = 15_000;
export const DEFAULT_SHUTDOWN_GRACE_MS = 30_000;
export const DEFAULT_READY_TIMEOUT_MS = 5_000;
export const DEFAULT_ENV_FILE_POLL_MS = 2_000;
export const DEFAULT_POLL_MS = 1000;
