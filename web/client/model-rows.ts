/**
 * The environment page's model table as data: which models a filter keeps and in what order a
 * column sorts them. The filter and sort live in the page's URL, so a filtered view can be shared.
 */
import type { EnvironmentDetail } from '../../api/schemas/environments.ts';

export type { EnvironmentDetail };
export type ModelRow = EnvironmentDetail['models'][number];

export const SORT_COLUMNS = [
  'name',
  'kind',
  'cron',
  'interval',
  'next',
  'status',
  'duration',
  'missing',
  'paused',
] as const;
export type SortColumn = (typeof SORT_COLUMNS)[number];

export interface ModelView {
  /** a substring of the model's name. */
  q: string;
  kind: string;
  status: string;
  /** '' any, 'yes' paused or blocked, 'no' neither. */
  paused: string;
  sort: SortColumn;
  desc: boolean;
}

export function readModelView(query: URLSearchParams): ModelView {
  const sort = query.get('sort') ?? 'name';
  return {
    q: query.get('q') ?? '',
    kind: query.get('kind') ?? '',
    status: query.get('status') ?? '',
    paused: query.get('paused') ?? '',
    sort: (SORT_COLUMNS as readonly string[]).includes(sort) ? (sort as SortColumn) : 'name',
    desc: query.get('dir') === 'desc',
  };
}

/** The view as URL query parameters, leaving out what is the default. */
export function modelViewQuery(view: ModelView): string {
  const query = new URLSearchParams();
  if (view.q) query.set('q', view.q);
  if (view.kind) query.set('kind', view.kind);
  if (view.status) query.set('status', view.status);
  if (view.paused) query.set('paused', view.paused);
  if (view.sort !== 'name') query.set('sort', view.sort);
  if (view.desc) query.set('dir', 'desc');
  const text = query.toString();
  return text ? `?${text}` : '';
}

/** What the table shows as a model's status: running now, else its last execution's, else never ran. */
export function statusOf(model: ModelRow): string {
  if (model.running) return 'running';
  return model.lastExecution?.status ?? 'never ran';
}

/** The missing unit intervals since the model's start (null for views, seeds and embedded models). */
export function missingOf(model: ModelRow): number | null {
  return model.missingIntervals;
}

function sortKey(model: ModelRow, column: SortColumn): string | number | null {
  switch (column) {
    case 'name':
      return model.name;
    case 'kind':
      return model.kind;
    case 'cron':
      return `${model.cron} ${model.cronTz}`;
    case 'interval':
      return model.intervalUnit;
    case 'next':
      return model.nextRun ? Date.parse(model.nextRun) : null;
    case 'status':
      return statusOf(model);
    case 'duration':
      return model.lastExecution?.durationMs ?? null;
    case 'missing':
      return missingOf(model);
    case 'paused':
      return model.paused
        ? `0 ${model.paused.reason ?? ''}`
        : model.blockedReason
          ? `1 ${model.blockedReason}`
          : null;
  }
}

/** The models the view keeps, in its order; a missing value sorts last either way, ties by name. */
export function viewModels(models: readonly ModelRow[], view: ModelView): ModelRow[] {
  const q = view.q.trim().toLowerCase();
  const kept = models.filter(
    (m) =>
      (!q || m.name.toLowerCase().includes(q)) &&
      (!view.kind || m.kind === view.kind) &&
      (!view.status || statusOf(m) === view.status) &&
      (!view.paused || (view.paused === 'yes') === (m.paused !== null || m.blockedReason !== null)),
  );
  const sign = view.desc ? -1 : 1;
  return kept.sort((a, b) => {
    const ka = sortKey(a, view.sort);
    const kb = sortKey(b, view.sort);
    if (ka !== kb) {
      if (ka === null) return 1;
      if (kb === null) return -1;
      return (ka < kb ? -1 : 1) * sign;
    }
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
}
