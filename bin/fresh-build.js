// Whether the compiled build in dist/ (`npm run build`) may run instead of the TypeScript sources:
// only when it exists and no source it was built from changed since. The build's stamp names its
// inputs and when the build started; any file or folder under them modified later (an edit, a
// checkout, a deleted file) makes the build stale. Plain JavaScript: it runs before any compiler.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The stamp `npm run build` writes last, relative to the package root. */
export const BUILD_STAMP = join('dist', '.build-stamp.json');
/** The compiled CLI, relative to the package root. */
export const COMPILED_CLI = join('dist', 'cli', 'main.js');

/**
 * `{ fresh: true }` when `root`'s build may run; otherwise `{ fresh: false, built, reason }`, where
 * `built` says whether a build exists at all and the reason names what is missing or the first
 * source found newer than the build.
 */
export function buildFreshness(root) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(join(root, BUILD_STAMP), 'utf8'));
  } catch {
    return { fresh: false, built: false, reason: `there is no build (${BUILD_STAMP} is missing)` };
  }
  if (typeof stamp?.startedAt !== 'number' || !Array.isArray(stamp.inputs)) {
    return { fresh: false, built: false, reason: `${BUILD_STAMP} is not a build stamp` };
  }
  for (const input of stamp.inputs) {
    const newer = newerThan(root, String(input), stamp.startedAt);
    if (newer !== undefined) return { fresh: false, built: true, reason: `${newer} changed after the build` };
  }
  return { fresh: true };
}

/** The first path at or under `path` modified after `time`; inputs absent here (an image without sources) count as unchanged. */
function newerThan(root, path, time) {
  let stats;
  try {
    stats = statSync(join(root, path));
  } catch {
    return undefined;
  }
  if (stats.mtimeMs > time) return path;
  if (!stats.isDirectory()) return undefined;
  for (const name of readdirSync(join(root, path))) {
    const newer = newerThan(root, join(path, name), time);
    if (newer !== undefined) return newer;
  }
  return undefined;
}
