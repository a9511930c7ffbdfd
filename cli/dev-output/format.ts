/**
 * `sluice dev`'s line for each event of workers/dev-activity.ts: the local time, a mark, the
 * environment, then what happened. A failure is one line with its error and the command that shows
 * more. For example:
 *
 *   14:02:00 ▶ prod schedule run started: 1 model (shop.minute_heartbeat) [run-…]
 *   14:02:01 ✓ prod schedule run succeeded in 1.2 s: 1 model, 1 row [run-…]
 *   14:02:01 ✗ prod schedule run failed in 0.4 s: shop.orders: Binder Error: … (sluice logs run-…)
 *   14:03:10 • prod plan 5f0c… backfill 12/40 batches
 */
import type { DevEvent, PlanStep, RunSummary } from '../../workers/dev-activity.ts';
import type { Palette } from './colors.ts';

/** How many model names a line lists before it gives only their count. */
const NAMES_SHOWN = 3;
/** The longest error text a line carries; the rest is one command away. */
const ERROR_CHARS = 200;

export function formatDevEvent(event: DevEvent, colors: Palette): string {
  const time = colors.dim(clock(event.at));
  switch (event.kind) {
    case 'run-started':
      return `${time} ${colors.cyan('▶')} ${runHead(event.run, colors)} started: ${models(event.run.models)} ${runId(event.run, colors)}`;
    case 'run-finished':
      return `${time} ${runFinished(event.run, colors)}`;
    case 'plan-step':
      return `${time} ${planLine(event.plan, colors)}`;
    case 'execution-finished': {
      const e = event.execution;
      const mark =
        e.status === 'succeeded' ? colors.green('·') : e.status === 'failed' ? colors.red('·') : '·';
      const parts = [
        `${mark} ${colors.bold(event.environment)}   ${e.model}`,
        e.intervalStartMs === null || e.intervalEndMs === null
          ? ''
          : ` [${interval(e.intervalStartMs)}, ${interval(e.intervalEndMs)})`,
        ` ${e.status}`,
        e.durationMs === null ? '' : ` in ${duration(e.durationMs)}`,
        e.rowsAffected === null ? '' : `, ${count(e.rowsAffected, 'row')}`,
        e.attempt > 1 ? `, attempt ${e.attempt}` : '',
        e.executor === null ? '' : colors.dim(` on ${e.executor}`),
        e.error === null ? '' : `: ${oneLine(e.error)}`,
      ];
      return `${time} ${parts.join('')}`;
    }
    case 'watch-failed':
      return `${time} ${colors.red('✗')} cannot read runs and plans from the state database: ${oneLine(event.error)}`;
  }
}

function runHead(run: RunSummary, colors: Palette): string {
  return `${colors.bold(run.environment)} ${run.trigger} run`;
}

function runId(run: RunSummary, colors: Palette): string {
  return colors.dim(`[${run.id}]`);
}

function runFinished(run: RunSummary, colors: Palette): string {
  const took = run.durationMs === null ? '' : ` in ${duration(run.durationMs)}`;
  switch (run.status) {
    case 'succeeded': {
      const rows = run.rows === null ? '' : `, ${count(run.rows, 'row')}`;
      return `${colors.green('✓')} ${runHead(run, colors)} succeeded${took}: ${models(run.models)}${rows} ${runId(run, colors)}`;
    }
    case 'failed':
    case 'terminated': {
      const what =
        run.failure === null
          ? 'no error recorded'
          : `${run.failure.model === null ? '' : `${run.failure.model}: `}${oneLine(run.failure.error)}`;
      return `${colors.red('✗')} ${runHead(run, colors)} ${run.status}${took}: ${what} ${colors.dim(`(sluice logs ${run.id})`)}`;
    }
    case 'skipped':
      return `${colors.dim('○')} ${runHead(run, colors)} skipped${run.skipReason === null ? '' : `: ${oneLine(run.skipReason)}`} ${runId(run, colors)}`;
    default:
      return `${colors.yellow('■')} ${runHead(run, colors)} ${run.status}${took}: ${models(run.models)} ${runId(run, colors)}`;
  }
}

function planLine(plan: PlanStep, colors: Palette): string {
  const head = `${colors.bold(plan.environment)} plan ${plan.id}`;
  const took = plan.durationMs === null ? '' : ` in ${duration(plan.durationMs)}`;
  switch (plan.step) {
    case 'queued':
      return `${colors.cyan('•')} ${head} queued`;
    case 'applying':
      return `${colors.cyan('•')} ${head} applying`;
    case 'backfill':
      return `${colors.cyan('•')} ${head} backfill ${plan.progress?.done ?? 0}/${count(plan.progress?.total ?? 0, 'batch', 'batches')}`;
    case 'applied':
      return `${colors.green('✓')} ${head} applied${took}`;
    case 'failed':
    case 'terminated': {
      const more =
        plan.failedRun === null
          ? `sluice runs --environment ${plan.environment}`
          : `sluice logs ${plan.failedRun}`;
      return `${colors.red('✗')} ${head} ${plan.step}${took}: ${oneLine(plan.error ?? 'no error recorded')} ${colors.dim(`(${more})`)}`;
    }
    default:
      return `${colors.yellow('■')} ${head} ${plan.step}${plan.error === null ? '' : `: ${oneLine(plan.error)}`}`;
  }
}

function models(names: readonly string[]): string {
  const counted = count(names.length, 'model');
  return names.length > 0 && names.length <= NAMES_SHOWN ? `${counted} (${names.join(', ')})` : counted;
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= ERROR_CHARS ? flat : `${flat.slice(0, ERROR_CHARS - 1)}…`;
}

/** HH:MM:SS in the local time zone, as the person watching reads a clock. */
export function clock(at: number): string {
  const date = new Date(at);
  return [date.getHours(), date.getMinutes(), date.getSeconds()]
    .map((n) => String(n).padStart(2, '0'))
    .join(':');
}

/** An interval bound in UTC, as sluice stores intervals. */
function interval(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/:00\.000Z$/, '')
    .replace(/\.000Z$/, '');
}
