/**
 * The one check of a range that reaches the scheduler (a restatement's start and end), whoever
 * asks: the API before it calls the environment workflow, the CLI before it calls the API, and the
 * workflow's update validator for a request sent to Temporal directly.
 *
 * A range is accepted when its start and end are whole epoch milliseconds between 1900 and 9999,
 * the start before the end and before now, and it lies within the life of the models concerned:
 * from the earliest start among them to the end of the interval that holds now (the end of today at
 * least, so a date-only end of today is fine), and not wholly after they all ended. Both ends must
 * sit on a boundary of each model's interval unit, as the restated intervals do. A model known
 * without its start or unit (a schedule remembered from before they were kept) is checked on what
 * is known of it.
 */
import { addUnits, ceilToUnit, floorToUnit, UNIT_MIN_MS } from '../interval-unit.ts';
import type { IntervalUnit } from '../project/types.ts';
import { firstProblem, type Problem } from './problem.ts';

/** The earliest instant a range may name: 1900-01-01 UTC. */
export const RANGE_MIN_MS = Date.UTC(1900, 0, 1);
/** The latest instant a range may name: 10000-01-01 UTC (exclusive). */
export const RANGE_MAX_MS = Date.UTC(10000, 0, 1);

export interface TimeRange {
  start: number;
  end: number;
}

/** What the check knows of a model the range concerns. */
export interface RangeModel {
  name: string;
  intervalUnit?: IntervalUnit;
  /** the model's start, epoch ms. */
  startMs?: number;
  /** the model's end (exclusive), epoch ms, when it has one. */
  endMs?: number;
}

const iso = (ms: number) => {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
};

/** Why `value` is not whole epoch ms within the bounds, or null. */
export function instantProblem(field: string, value: unknown): Problem | null {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    return { field, message: `${field} must be whole epoch milliseconds (got ${String(value)})` };
  }
  if (value < RANGE_MIN_MS || value > RANGE_MAX_MS) {
    return {
      field,
      message: `${field} (${value}) is out of range: give a time from ${iso(RANGE_MIN_MS)} to ${iso(RANGE_MAX_MS)}`,
    };
  }
  return null;
}

/**
 * Why a range is malformed, judged without any model: start and end whole epoch ms within bounds,
 * the start before the end. `field` is the range's name (`restate`); problems name `restate.start`
 * or `restate.end`.
 */
export function rangeShapeProblem(field: string, range: { start: unknown; end: unknown }): Problem | null {
  const shape = firstProblem(
    instantProblem(`${field}.start`, range.start),
    instantProblem(`${field}.end`, range.end),
  );
  if (shape) return shape;
  const { start, end } = range as TimeRange;
  if (start >= end) {
    return {
      field: `${field}.end`,
      message: `${field}.end (${iso(end)}) must be after ${field}.start (${iso(start)})`,
    };
  }
  return null;
}

/** Why a restatement starting at `start` would find nothing run yet, or null. */
export function startBeforeNowProblem(field: string, start: number, now: number): Problem | null {
  if (start < now) return null;
  return {
    field,
    message: `${field} (${iso(start)}) must be before now (${iso(now)}): nothing after now has run yet`,
  };
}

/** The finest interval unit among `units`, or undefined when there is none. */
export function finestUnit(units: Iterable<IntervalUnit | undefined>): IntervalUnit | undefined {
  let finest: IntervalUnit | undefined;
  for (const unit of units) {
    if (unit && (!finest || UNIT_MIN_MS[unit] < UNIT_MIN_MS[finest])) finest = unit;
  }
  return finest;
}

/** The latest end a range may have for a model of `unit`: the end of its interval holding now, or of today. */
export function latestEnd(now: number, unit: IntervalUnit | undefined): number {
  const today = addUnits(floorToUnit(now, 'day'), 'day', 1);
  if (!unit) return today;
  return Math.max(today, addUnits(floorToUnit(now, unit), unit, 1));
}

function alignmentProblem(field: string, value: number, model: string, unit: IntervalUnit): Problem | null {
  const floor = floorToUnit(value, unit);
  if (floor === value) return null;
  const ceil = ceilToUnit(value, unit);
  return {
    field,
    message:
      `${field} (${iso(value)}) is not on a boundary of ${model}'s interval unit (${unit}): ` +
      `use ${iso(floor)} or ${iso(ceil)}`,
  };
}

export interface RangeCheck {
  /** the range's name in the request (`restate`). */
  field: string;
  range: { start: unknown; end: unknown };
  /**
   * the models the range concerns: those selected, or without a selection every model the
   * environment schedules.
   */
  models: readonly RangeModel[];
  /** whether the models were selected (each must take the range) or are the whole environment. */
  selected: boolean;
  now: number;
}

/** Why the range may not be restated for these models, or null when it may. */
export function restatementRangeProblem(check: RangeCheck): Problem | null {
  const { field, models, now } = check;
  const shape = rangeShapeProblem(field, check.range);
  if (shape) return shape;
  const { start, end } = check.range as TimeRange;
  const startField = `${field}.start`;
  const endField = `${field}.end`;
  const late = startBeforeNowProblem(startField, start, now);
  if (late) return late;

  const withStart = models.filter((m) => m.startMs !== undefined);
  if (withStart.length > 0) {
    const earliest = withStart.reduce((a, b) => (b.startMs! < a.startMs! ? b : a));
    if (start < earliest.startMs!) {
      return {
        field: startField,
        message:
          `${startField} (${iso(start)}) is before the start of ${earliest.name} (${iso(earliest.startMs!)}): ` +
          `restate from ${iso(earliest.startMs!)} or later`,
      };
    }
  }
  if (models.length > 0 && models.every((m) => m.endMs !== undefined && m.endMs <= start)) {
    const last = models.reduce((a, b) => (b.endMs! > a.endMs! ? b : a));
    return {
      field: startField,
      message: `${startField} (${iso(start)}) must be before the end of ${last.name} (${iso(last.endMs!)})`,
    };
  }

  const aligned = check.selected
    ? models.flatMap((m) => (m.intervalUnit ? [{ name: m.name, unit: m.intervalUnit }] : []))
    : finestOf(models);
  const limit = Math.max(latestEnd(now, undefined), ...aligned.map(({ unit }) => latestEnd(now, unit)));
  if (end > limit) {
    return {
      field: endField,
      message: `${endField} (${iso(end)}) is after the current interval: end the range at ${iso(limit)} or earlier`,
    };
  }
  for (const { name, unit } of aligned) {
    const problem = firstProblem(
      alignmentProblem(startField, start, name, unit),
      alignmentProblem(endField, end, name, unit),
    );
    if (problem) return problem;
  }
  return null;
}

/** The model of the finest unit among `models`, for a range over the whole environment. */
function finestOf(models: readonly RangeModel[]): Array<{ name: string; unit: IntervalUnit }> {
  const unit = finestUnit(models.map((m) => m.intervalUnit));
  if (!unit) return [];
  const names = models.filter((m) => m.intervalUnit === unit).map((m) => m.name);
  const shown = names.length > 1 ? `${names[0]} (and ${names.length - 1} more)` : names[0]!;
  return [{ name: shown, unit }];
}
