/**
 * Client-side navigation: each page has its own URL (served by the API as the dashboard's page, see
 * api/routes/dashboard.ts), links change it without reloading, and back/forward work.
 */
import type { Child } from 'hono/jsx';
import { createStore, useStore } from './store.ts';

const location$ = createStore({ path: location.pathname, search: location.search });

addEventListener('popstate', () => location$.set({ path: location.pathname, search: location.search }));

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  location$.set({ path: location.pathname, search: location.search });
  scrollTo(0, 0);
}

export function useLocation(): { path: string; query: URLSearchParams } {
  const { path, search } = useStore(location$);
  return { path, query: new URLSearchParams(search) };
}

/** `pattern` like `/environments/:env/models/:model`: the decoded parameters when `path` matches it. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const want = pattern.split('/').filter(Boolean);
  const have = path.split('/').filter(Boolean);
  if (want.length !== have.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const part = want[i]!;
    if (part.startsWith(':')) params[part.slice(1)] = decodeURIComponent(have[i]!);
    else if (part !== have[i]) return null;
  }
  return params;
}

/** A path built from segments, each encoded: `href('environments', env, 'models', model)`. */
export function href(...segments: string[]): string {
  return `/${segments.map(encodeURIComponent).join('/')}`;
}

export function Link(props: { to: string; class?: string; title?: string; children?: Child }) {
  return (
    <a
      href={props.to}
      class={props.class}
      title={props.title}
      onClick={(event: MouseEvent) => {
        if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        navigate(props.to);
      }}
    >
      {props.children}
    </a>
  );
}
