/** Every page of the dashboard and its URL. */
import type { FC } from 'hono/jsx';
import { EnvironmentPage } from './pages/environment.tsx';
import { EnvironmentsPage } from './pages/environments.tsx';
import { ExecutorsPage } from './pages/executors.tsx';
import { LineagePage } from './pages/lineage.tsx';
import { ModelPage } from './pages/model.tsx';
import { PlanPage } from './pages/plan.tsx';
import { PlansPage } from './pages/plans.tsx';
import { RunPage } from './pages/run.tsx';
import { RunsPage } from './pages/runs.tsx';

export interface PageProps {
  params: Record<string, string>;
  query: URLSearchParams;
}

export interface Route {
  pattern: string;
  page: FC<PageProps>;
  /** the browser tab's title, from the URL's parameters. */
  title: (params: Record<string, string>) => string;
}

export const ROUTES: Route[] = [
  { pattern: '/', page: EnvironmentsPage, title: () => 'Environments' },
  { pattern: '/environments', page: EnvironmentsPage, title: () => 'Environments' },
  { pattern: '/environments/:env', page: EnvironmentPage, title: (p) => `${p.env} · Environment` },
  { pattern: '/runs', page: RunsPage, title: () => 'Runs' },
  { pattern: '/runs/:id', page: RunPage, title: (p) => `Run ${p.id}` },
  { pattern: '/executors', page: ExecutorsPage, title: () => 'Executors' },
  { pattern: '/environments/:env/lineage', page: LineagePage, title: (p) => `${p.env} lineage` },
  { pattern: '/environments/:env/models/:model', page: ModelPage, title: (p) => `${p.model} in ${p.env}` },
  { pattern: '/plans', page: PlansPage, title: () => 'Plans' },
  { pattern: '/plans/:id', page: PlanPage, title: (p) => `Plan ${p.id!.slice(0, 8)}` },
];
