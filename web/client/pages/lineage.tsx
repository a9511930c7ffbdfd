/**
 * An environment's lineage graph on a page of its own, refreshed like every page;
 * `?model=<name>` centres the graph on that model.
 */
import { api, read } from '../api.ts';
import { LineageGraph } from '../components/lineage-graph.tsx';
import { PageHeader, Pending } from '../components/page-header.tsx';
import { useLive } from '../live.ts';
import { href, Link } from '../router.tsx';
import type { PageProps } from '../routes.ts';

export function LineagePage(props: PageProps) {
  const env = props.params.env!;
  const live = useLive(
    () => read(api.environments[':env'].lineage.$get({ param: { env } })),
    `lineage ${env}`,
  );
  return (
    <section>
      <PageHeader title={`${env}: lineage`} live={live}>
        <nav class="tabs">
          <Link to={href('environments', env)}>Models</Link>
          <Link to={href('environments', env, 'lineage')} class="current">
            Lineage
          </Link>
          <Link to={`/runs?environment=${encodeURIComponent(env)}`}>Runs</Link>
        </nav>
      </PageHeader>
      {live.data === undefined ? (
        <Pending live={live} />
      ) : live.data.nodes.length === 0 ? (
        <p class="empty">This environment has no models.</p>
      ) : (
        <LineageGraph environment={env} lineage={live.data} focus={props.query.get('model')} />
      )}
    </section>
  );
}
