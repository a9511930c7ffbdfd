/**
 * What a run does next with its models, decided from what it knows. A run executes in segments: a
 * segment is the batches, on one gateway, that one executor activity runs in dependency order. Each
 * model waiting to run is skipped (an upstream of the run did not succeed), succeeds at once (it has
 * no batch left), or goes into its gateway's next segment when that gateway has no segment running
 * and every upstream of the run has succeeded or is earlier in the same segment with all its
 * remaining batches. Pure, so the run workflow (workflows/execute-models.ts) carries the moves out
 * and the rules are tested without Temporal.
 */
import type { ModelStatus } from '../environment/run-report.ts';

export interface OrderedModel {
  model: string;
  gateway: string;
  /** models this one waits for; only those that are part of the run count. */
  dependsOn: readonly string[];
  /** how many batches the model runs in all. */
  batches: number;
}

export interface RunProgress {
  /** the run's models, in the order they are considered. */
  work: readonly OrderedModel[];
  /** batches each model has finished (succeeded), by model; absent means none. */
  done: ReadonlyMap<string, number>;
  /** each finished model's status. */
  finished: Readonly<Record<string, ModelStatus>>;
  /** gateways with a segment running. */
  busy: ReadonlySet<string>;
  /** the most batches one segment takes. */
  maxBatches: number;
}

/** One batch of a segment: the model and the index of the batch among the model's batches. */
export interface SegmentItem {
  model: string;
  batch: number;
}

export type RunMove =
  | { kind: 'skip'; model: string; reason: string }
  | { kind: 'succeed'; model: string }
  | { kind: 'segment'; gateway: string; items: SegmentItem[] };

/**
 * The run's models in dependency order (`dependencyOrder`), each with its upstream models that are
 * part of the run. It depends only on the run's work, so a run works it out once and hands it to
 * every `nextMoves`, which then costs a pass over the models rather than a sort of them.
 */
export interface RunOrder {
  /** the work it was worked out from. */
  readonly work: readonly OrderedModel[];
  readonly order: readonly OrderedModel[];
  /** `upstream[i]`: the models `order[i]` waits for, those of its `dependsOn` that are in the run. */
  readonly upstream: readonly (readonly string[])[];
}

export function runOrder(work: readonly OrderedModel[]): RunOrder {
  const order = dependencyOrder(work);
  const inRun = new Set(order.map((w) => w.model));
  const upstream = order.map((w) => w.dependsOn.filter((d) => d !== w.model && inRun.has(d)));
  return { work, order, upstream };
}

/**
 * The moves to make now, in order; a move may depend on the ones before it (a skip skips on, a
 * model that succeeds at once lets its downstream into a segment). `prepared` is `runOrder` of
 * the progress's work, when the caller keeps it.
 */
export function nextMoves(progress: RunProgress, prepared?: RunOrder): RunMove[] {
  const { order, upstream } =
    prepared !== undefined && prepared.work === progress.work ? prepared : runOrder(progress.work);
  const finished: Record<string, ModelStatus> = { ...progress.finished };
  const moves: RunMove[] = [];

  // Until nothing changes: a model on a cycle comes after its downstream in the order.
  for (let changed = true; changed; ) {
    changed = false;
    for (const [i, w] of order.entries()) {
      if (finished[w.model] !== undefined) continue;
      const waitsFor = upstream[i]!;
      const broken = waitsFor.find((d) => finished[d] !== undefined && finished[d] !== 'succeeded');
      if (broken !== undefined) {
        moves.push({ kind: 'skip', model: w.model, reason: `upstream ${broken} ${finished[broken]}` });
        finished[w.model] = 'skipped';
        changed = true;
      } else if (
        (progress.done.get(w.model) ?? 0) >= w.batches &&
        waitsFor.every((d) => finished[d] === 'succeeded')
      ) {
        moves.push({ kind: 'succeed', model: w.model });
        finished[w.model] = 'succeeded';
        changed = true;
      }
    }
  }

  // A model cut in two fills its segment, so a model with items in a segment has all of them there.
  const segments = new Map<string, { items: SegmentItem[]; members: Set<string> }>();
  for (const [i, w] of order.entries()) {
    if (finished[w.model] !== undefined || progress.busy.has(w.gateway)) continue;
    let segment = segments.get(w.gateway);
    if (!segment) {
      segment = { items: [], members: new Set() };
      segments.set(w.gateway, segment);
    }
    const room = progress.maxBatches - segment.items.length;
    const from = progress.done.get(w.model) ?? 0;
    // A model with nothing left to run waits for its upstream and then succeeds: in a segment it
    // would have no batch for its downstream to wait on, and they could start before its upstream.
    if (room <= 0 || from >= w.batches) continue;
    if (!upstream[i]!.every((d) => finished[d] === 'succeeded' || segment.members.has(d))) continue;
    const to = Math.min(w.batches, from + room);
    for (let batch = from; batch < to; batch++) segment.items.push({ model: w.model, batch });
    segment.members.add(w.model);
  }
  for (const [gateway, segment] of segments) {
    if (segment.items.length > 0) moves.push({ kind: 'segment', gateway, items: segment.items });
  }
  return moves;
}

/**
 * The run's models with each model after the models it depends on, level by level (the run's order
 * within a level). Models on a cycle, and their downstream, keep their place after the rest: they
 * never start, and end stranded.
 */
export function dependencyOrder(work: readonly OrderedModel[]): OrderedModel[] {
  const byName = new Map(work.map((w) => [w.model, w]));
  const waitingFor = new Map<string, number>();
  const children = new Map<string, OrderedModel[]>();
  for (const w of work) {
    const upstream = new Set(w.dependsOn.filter((d) => d !== w.model && byName.has(d)));
    waitingFor.set(w.model, upstream.size);
    for (const d of upstream) {
      const siblings = children.get(d);
      if (siblings === undefined) children.set(d, [w]);
      else siblings.push(w);
    }
  }
  const order = work.filter((w) => waitingFor.get(w.model) === 0);
  for (let i = 0; i < order.length; i++) {
    for (const child of children.get(order[i]!.model) ?? []) {
      const left = waitingFor.get(child.model)! - 1;
      waitingFor.set(child.model, left);
      if (left === 0) order.push(child);
    }
  }
  const placed = new Set(order.map((w) => w.model));
  return [...order, ...work.filter((w) => !placed.has(w.model))];
}

/** Why a model still waiting when nothing runs any more can never start. */
export const STRANDED_REASON = 'upstream not part of the run';
