/** The dashboard: the page the URL names, inside the layout, or the sign-in form when the API wants a token. */
import { Layout } from './components/layout.tsx';
import { NotFoundPage } from './pages/not-found.tsx';
import { SignInPage } from './pages/sign-in.tsx';
import { matchPath, useLocation } from './router.tsx';
import { ROUTES } from './routes.ts';
import { session } from './session.ts';
import { useStore } from './store.ts';

export function App() {
  const { path, query } = useLocation();
  const { token, refused } = useStore(session);
  if (refused !== null && token === null) {
    document.title = 'Sign in · sluice';
    return (
      <Layout>
        <SignInPage refused={refused} />
      </Layout>
    );
  }
  for (const route of ROUTES) {
    const params = matchPath(route.pattern, path);
    if (params === null) continue;
    document.title = `${route.title(params)} · sluice`;
    const Page = route.page;
    // keyed by token and path, so signing in or moving to another page starts the page afresh
    return (
      <Layout>
        <Page key={`${token ?? ''} ${path}`} params={params} query={query} />
      </Layout>
    );
  }
  document.title = 'Not found · sluice';
  return (
    <Layout>
      <NotFoundPage path={path} />
    </Layout>
  );
}
