/**
 * `sweepArtifacts`: the janitor's artifact sweep. Every run's and plan's artifacts whose newest
 * file was written longer ago than the retention (SLUICE_ARTIFACT_RETENTION) are deleted, folder
 * by folder; with `forever` nothing is. The scheduler worker runs it daily (workflows/artifact-sweep.ts).
 */
import type { ArtifactSweep } from '../contracts.ts';
import type { SchedulerContext } from './context.ts';

const OWNER_FOLDERS = ['runs/', 'plans/'];

export async function sweepArtifacts(ctx: SchedulerContext): Promise<ArtifactSweep> {
  const retention = ctx.artifactRetentionMs ?? null;
  if (!ctx.artifacts || retention === null) return { cutoff: null, removed: [], kept: 0 };
  const cutoff = ctx.now() - retention;
  const removed: string[] = [];
  let kept = 0;
  for (const top of OWNER_FOLDERS) {
    const owners = new Map<string, { keys: string[]; newest: number }>();
    for (const artifact of await ctx.artifacts.list(top)) {
      const owner = artifact.key.split('/').slice(0, 2).join('/');
      const entry = owners.get(owner) ?? { keys: [], newest: Number.NEGATIVE_INFINITY };
      entry.keys.push(artifact.key);
      entry.newest = Math.max(entry.newest, artifact.lastModified);
      owners.set(owner, entry);
    }
    for (const [owner, { keys, newest }] of owners) {
      if (newest >= cutoff) {
        kept += 1;
        continue;
      }
      await ctx.artifacts.remove(keys);
      removed.push(owner);
    }
  }
  return { cutoff, removed, kept };
}
