/**
 * What a run does next with its models, decided from what it knows: each model waiting to start is
 * skipped (an upstream of the run did not succeed), started (every upstream of the run succeeded and
 * its gateway has a free thread), or has its first batch prepared ahead (every upstream succeeded or
 * is running), in the run's order. Pure, so the run workflow (workflows/execute-models.ts) carries
 * the moves out and the rules are tested without Temporal.
 */
import type { ModelStatus } from '../environment/run-report.ts';

export interface OrderedModel {
  model: string;
  gateway: string;
  /** models this one waits for; only those that are part of the run count. */
  dependsOn: readonly string[];
}

export interface RunProgress {
  /** the run's models, in the order they are considered. */
  work: readonly OrderedModel[];
  /** models not started, skipped or cancelled yet. */
  waiting: ReadonlySet<string>;
  /** models that have started (running or finished). */
  started: ReadonlySet<string>;
  /** each finished model's status. */
  finished: Readonly<Record<string, ModelStatus>>;
  /** executions running per gateway. */
  active: ReadonlyMap<string, number>;
  /** executions at once per gateway. */
  threads: number;
}

export type RunMove =
  | { kind: 'skip'; model: string; reason: string }
  | { kind: 'prefetch'; model: string }
  | { kind: 'start'; model: string };

/** The moves to make now, in order; a move may depend on the ones before it (a skip skips on). */
export function nextMoves(progress: RunProgress): RunMove[] {
  const inRun = new Set(progress.work.map((w) => w.model));
  const finished: Record<string, ModelStatus> = { ...progress.finished };
  const started = new Set(progress.started);
  const active = new Map(progress.active);
  const moves: RunMove[] = [];
  for (const w of progress.work) {
    if (!progress.waiting.has(w.model)) continue;
    const upstream = w.dependsOn.filter((d) => inRun.has(d));
    const broken = upstream.find((d) => finished[d] !== undefined && finished[d] !== 'succeeded');
    if (broken !== undefined) {
      moves.push({ kind: 'skip', model: w.model, reason: `upstream ${broken} ${finished[broken]}` });
      finished[w.model] = 'skipped';
      continue;
    }
    if (upstream.every((d) => finished[d] === 'succeeded' || started.has(d))) {
      moves.push({ kind: 'prefetch', model: w.model });
    }
    if (!upstream.every((d) => finished[d] === 'succeeded')) continue;
    if ((active.get(w.gateway) ?? 0) >= progress.threads) continue;
    moves.push({ kind: 'start', model: w.model });
    active.set(w.gateway, (active.get(w.gateway) ?? 0) + 1);
    started.add(w.model);
  }
  return moves;
}

/** Why a model still waiting when nothing runs any more can never start. */
export const STRANDED_REASON = 'upstream not part of the run';
