/**
 * How long a `sluice` command takes to start and finish when it has nothing to wait for: `--help`,
 * `--version`, and `sluice runs` against an API that is not running (the error path, which loads the
 * settings and the API client). Each runs N times from the compiled build (`bin/sluice.js` with an
 * up-to-date dist/, as users run it) and through tsx (the TypeScript sources compiled at every
 * start, as before the build existed). Prints min, median and max wall time and the ratio of the medians.
 *
 *   npx tsx bench/cli-startup.ts [repetitions=10]
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildFreshness } from '../bin/fresh-build.js';
import { freePort } from '../test/support/ports.ts';

const REPETITIONS = Number(process.argv[2] ?? 10);
if (!Number.isInteger(REPETITIONS) || REPETITIONS < 1) {
  console.error(`repetitions must be a whole number of at least 1, got "${process.argv[2]}"`);
  process.exit(2);
}
const ROOT = fileURLToPath(new URL('..', import.meta.url));

if (!buildFreshness(ROOT).fresh) {
  console.log('dist/ is missing or older than the sources: building it first (npm run build)');
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { stdio: 'inherit' });
  if (built.status !== 0) process.exit(1);
}

const apiUrl = `http://127.0.0.1:${await freePort()}`;
const COMMANDS: Array<{ name: string; args: string[]; exitCode: number }> = [
  { name: 'sluice --help', args: ['--help'], exitCode: 0 },
  { name: 'sluice --version', args: ['--version'], exitCode: 0 },
  { name: 'sluice runs (API stopped)', args: ['runs'], exitCode: 1 },
];
const WAYS: Array<{ name: string; argv: string[] }> = [
  { name: 'build', argv: [join(ROOT, 'bin/sluice.js')] },
  { name: 'tsx', argv: ['--import', 'tsx', join(ROOT, 'cli/main.ts')] },
];

function timeOnce(argv: string[], args: string[], exitCode: number): number {
  const started = process.hrtime.bigint();
  const result = spawnSync(process.execPath, [...argv, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', SLUICE_API_URL: apiUrl },
    encoding: 'utf8',
  });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== exitCode) {
    throw new Error(
      `node ${[...argv, ...args].join(' ')} exited ${result.status}, not ${exitCode}:\n${result.stderr}`,
    );
  }
  return ms;
}

const median = (sorted: number[]) =>
  sorted.length % 2 === 1
    ? sorted[(sorted.length - 1) / 2]!
    : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
const ms = (value: number) => `${value.toFixed(0)} ms`;

console.log(`${REPETITIONS} repetitions each, wall time of the whole process (min / median / max)\n`);
for (const command of COMMANDS) {
  const medians: Record<string, number> = {};
  for (const way of WAYS) {
    // interleaving is not needed: every repetition is a fresh process; one warm-up fills the OS caches
    timeOnce(way.argv, command.args, command.exitCode);
    const times = Array.from({ length: REPETITIONS }, () =>
      timeOnce(way.argv, command.args, command.exitCode),
    ).sort((a, b) => a - b);
    medians[way.name] = median(times);
    console.log(
      `${command.name.padEnd(28)} ${way.name.padEnd(6)} ${ms(times[0]!)} / ${ms(median(times))} / ${ms(times.at(-1)!)}`,
    );
  }
  console.log(
    `${''.padEnd(28)} build/tsx ${(medians.build! / medians.tsx!).toFixed(2)} (${(medians.tsx! / medians.build!).toFixed(1)}x faster)\n`,
  );
}
const nodeAlone = Array.from({ length: REPETITIONS }, () => timeOnce(['-e', '0'], [], 0)).sort(
  (a, b) => a - b,
);
console.log(`for scale, node -e 0: median ${ms(median(nodeAlone))}`);
