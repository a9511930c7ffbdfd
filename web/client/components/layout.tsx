/**
 * The frame around every page: the navigation, whether the API answers, and who is signed in.
 */
import type { Child } from 'hono/jsx';
import { connection } from '../connection.ts';
import { Link, useLocation } from '../router.tsx';
import { endSession, session } from '../session.ts';
import { useStore } from '../store.ts';

const SECTIONS = [
  { to: '/environments', label: 'Environments' },
  { to: '/runs', label: 'Runs' },
  { to: '/plans', label: 'Plans' },
  { to: '/executors', label: 'Executors' },
];

export function Layout(props: { children?: Child }) {
  const { path } = useLocation();
  const link = useStore(connection);
  const { token } = useStore(session);
  return (
    <div class="shell">
      <nav class="topbar">
        <Link to="/" class="brand">
          sluice
        </Link>
        {SECTIONS.map((section) => (
          <Link
            to={section.to}
            class={path === section.to || path.startsWith(`${section.to}/`) ? 'current' : ''}
          >
            {section.label}
          </Link>
        ))}
        <span class="spacer" />
        {token ? (
          <button type="button" class="link-button" onClick={() => endSession(null)}>
            Sign out
          </button>
        ) : null}
      </nav>
      {link.failure ? (
        <div class="banner banner-bad" role="alert" data-testid="connection-lost">
          Connection to the sluice API lost: {link.failure}. Retrying; figures below may be out of date.
        </div>
      ) : null}
      <main>{props.children}</main>
    </div>
  );
}
