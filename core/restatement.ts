/**
 * Which range of each model a restatement clears and runs again, as SQLMesh's plan builder works it
 * out (`PlanBuilder._build_restatements`):
 *
 * - a restated model restates the requested range widened outwards to its interval unit (a
 *   restatement of 10:00 to 11:00 restates that whole day of a daily model, and of a daily model's
 *   one day exactly that day);
 * - a model downstream of a restated one is restated too, over the smallest range of its unit that
 *   covers both that and the ranges its restated parents restate: an hourly model downstream of a
 *   daily one restated for one day restates the 24 hours of that day; a daily model downstream of an
 *   hourly one restated for one hour restates the day holding that hour.
 *
 * SQLMesh passes on only the ranges of incremental parents, because it widens FULL models and views
 * to their whole history; sluice widens no model to its whole history, so every restated parent
 * passes its range on, views and embedded models included (their readers see their parents' data).
 */
import { Dag } from './dag.ts';
import { ceilToUnit, floorToUnit } from './interval-unit.ts';
import type { Interval } from './intervals.ts';
import type { IntervalUnit } from './project/types.ts';

export interface RestatementNode {
  name: string;
  intervalUnit: IntervalUnit;
  /** the models this one reads (names that are not nodes are ignored). */
  parents: readonly string[];
}

/** The smallest range of whole `unit` intervals that covers `range`. */
export function coveringRange(range: Interval, unit: IntervalUnit): Interval {
  return [floorToUnit(range[0], unit), ceilToUnit(range[1], unit)];
}

/**
 * The range each model restates: every model named in `requested` (with the range asked for it)
 * and every model downstream of one, each widened as above. Models not reached are left out.
 */
export function restatementRanges(
  nodes: readonly RestatementNode[],
  requested: ReadonlyMap<string, Interval>,
): Map<string, Interval> {
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const dag = new Dag(new Map(nodes.map((node) => [node.name, node.parents])));
  const ranges = new Map<string, Interval>();
  for (const name of dag.topologicalOrder()) {
    const covered: Interval[] = dag.parents(name).flatMap((parent) => {
      const range = ranges.get(parent);
      return range ? [range] : [];
    });
    const asked = requested.get(name);
    if (asked) {
      if (!(asked[1] > asked[0])) throw new Error(`the range restated for ${name} must end after it starts`);
      covered.push(asked);
    }
    if (covered.length === 0) continue;
    const start = Math.min(...covered.map(([s]) => s));
    const end = Math.max(...covered.map(([, e]) => e));
    ranges.set(name, coveringRange([start, end], byName.get(name)!.intervalUnit));
  }
  return ranges;
}
