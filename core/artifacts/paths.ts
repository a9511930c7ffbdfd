/**
 * Where a run's and a plan's artifacts live in the artifact store, and the one check every path a
 * client asks for goes through: relative, `/`-separated segments of letters, digits, `.`, `_` and
 * `-`, none of them `.` or `..`, so no request can leave the run's own folder.
 */
import type { Interval } from '../intervals.ts';
import { compactInstant } from '../workflow-ids.ts';

export const RUN_RESULTS_FILE = 'run_results.json';
export const PLAN_SUMMARY_TEXT_FILE = 'plan.txt';
export const PLAN_SUMMARY_JSON_FILE = 'plan.json';

/** The longest artifact path accepted. */
export const MAX_ARTIFACT_PATH = 1024;

export type ArtifactOwner = { kind: 'run'; id: string } | { kind: 'plan'; id: string };

export class ArtifactPathError extends Error {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`artifact path ${JSON.stringify(path.slice(0, 200))} ${reason}`);
    this.name = 'ArtifactPathError';
  }
}

const SEGMENT = /^[A-Za-z0-9._-]+$/;

/** The path as given when it stays inside its folder; an ArtifactPathError saying why otherwise. */
export function checkArtifactPath(path: string): string {
  if (path.length === 0) throw new ArtifactPathError(path, 'is empty');
  if (path.length > MAX_ARTIFACT_PATH)
    throw new ArtifactPathError(path, `is longer than ${MAX_ARTIFACT_PATH} characters`);
  if (path.startsWith('/')) throw new ArtifactPathError(path, 'is absolute; give it relative to the run');
  for (const segment of path.split('/')) {
    if (segment === '') throw new ArtifactPathError(path, 'has an empty segment');
    if (segment === '.' || segment === '..')
      throw new ArtifactPathError(
        path,
        `has a "${segment}" segment; artifact paths cannot leave their folder`,
      );
    if (!SEGMENT.test(segment))
      throw new ArtifactPathError(
        path,
        'may hold only letters, digits, ".", "_", "-" and "/" between segments',
      );
  }
  return path;
}

/** The store's folder of a run's or a plan's artifacts, ending in `/`. */
export function ownerPrefix(owner: ArtifactOwner): string {
  return `${owner.kind === 'run' ? 'runs' : 'plans'}/${safeSegment(owner.id)}/`;
}

/** A name made safe as one path segment: anything but letters, digits, `.`, `_` and `-` becomes `_`. */
export function safeSegment(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]/g, '_');
  return safe === '' || safe === '.' || safe === '..' ? `_${safe}` : safe;
}

/** `compiled/<model>/<start>_<end>.sql` (`full.sql` for a model without intervals). */
export function compiledPath(model: string, interval: Interval | null): string {
  const name = interval === null ? 'full' : `${compactInstant(interval[0])}_${compactInstant(interval[1])}`;
  return `compiled/${safeSegment(model)}/${name}.sql`;
}

/** The content type an artifact is served with, from its extension. */
export function artifactContentType(path: string): string {
  if (path.endsWith('.json')) return 'application/json';
  if (path.endsWith('.sql')) return 'application/sql; charset=utf-8';
  return 'text/plain; charset=utf-8';
}
