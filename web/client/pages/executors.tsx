/** The executors the scheduler side has heard from, as `sluice executors` lists them. */
import { api, read } from '../api.ts';
import { PageHeader, Pending } from '../components/page-header.tsx';
import { StatusBadge } from '../components/status-badge.tsx';
import { formatTime } from '../format.ts';
import { useLive } from '../live.ts';

export function ExecutorsPage() {
  const live = useLive(() => read(api.executors.$get({ query: {} })), 'executors');
  const items = live.data?.items;
  return (
    <section>
      <PageHeader title="Executors" live={live} />
      {items === undefined ? (
        <Pending live={live} />
      ) : items.length === 0 ? (
        <p class="empty">
          No executor has reported in. Start one with <code>sluice worker --role run</code> (and{' '}
          <code>--role apply</code>) next to the warehouse.
        </p>
      ) : (
        <table class="data" data-testid="executors">
          <thead>
            <tr>
              <th>Identity</th>
              <th>Role</th>
              <th>Status</th>
              <th>Health</th>
              <th>In flight</th>
              <th>Gateways</th>
              <th>Version</th>
              <th>Last heard</th>
            </tr>
          </thead>
          <tbody>
            {items.map((e) => (
              <tr>
                <td>{e.identity}</td>
                <td>{e.role}</td>
                <td>
                  <StatusBadge status={e.status} />
                </td>
                <td>{e.health ? <StatusBadge status={e.health === 'ok' ? 'healthy' : e.health} /> : '—'}</td>
                <td>{e.inFlight ?? '—'}</td>
                <td>{e.gateways?.join(', ') ?? '—'}</td>
                <td>{e.version ?? '—'}</td>
                <td>{formatTime(e.lastSeen)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
