/**
 * The fuzzer's settings, from the test process's environment: `SLUICE_FUZZ_SEED` (random when unset),
 * `SLUICE_FUZZ_RUNS` (how many requests) and `SLUICE_FUZZ_SECONDS` (the wall-clock cap of the
 * request phase). The defaults are the CI budget.
 */

export interface FuzzSettings {
  seed: number;
  requests: number;
  seconds: number;
}

export const CI_REQUESTS = 5_000;
export const CI_SECONDS = 120;

export function fuzzSettings(env: NodeJS.ProcessEnv = process.env): FuzzSettings {
  return {
    seed: readInteger(env, 'SLUICE_FUZZ_SEED') ?? Math.floor(Math.random() * 2 ** 31),
    requests: readInteger(env, 'SLUICE_FUZZ_RUNS') ?? CI_REQUESTS,
    seconds: readInteger(env, 'SLUICE_FUZZ_SECONDS') ?? CI_SECONDS,
  };
}

function readInteger(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0)
    throw new Error(`${name} must be a whole number, got "${raw}"`);
  return value;
}
