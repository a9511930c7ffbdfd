/**
 * The dashboard as the API serves it: its page for every browser path outside the API (so a page's
 * URL can be shared and reloaded), with a policy that allows no script or request but its own, its
 * script and stylesheet bundled from web/client/, and the API's own answers left as they were.
 */
import type { Client } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.ts';
import type { StateDb } from '../../db/client.ts';

const HTML = { accept: 'text/html,application/xhtml+xml' };

function app(temporalUiUrl?: string) {
  return createApp({
    db: {} as StateDb,
    client: { options: { namespace: 'analytics' } } as Client,
    auth: 'tokens',
    ...(temporalUiUrl === undefined ? {} : { temporalUiUrl }),
  });
}

describe('the dashboard routes', () => {
  it('serves its page, without a token, for each page path a browser asks for', async () => {
    for (const path of [
      '/',
      '/environments',
      '/environments/prod/models/sales.orders',
      '/runs',
      '/runs/r-1',
      '/plans/p-1',
      '/executors',
    ]) {
      const response = await app('http://ui.example:8233').request(path, { headers: HTML });
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      const html = await response.text();
      expect(html).toContain('<script type="module" src="/assets/dashboard.js"></script>');
      expect(html).toContain('<meta name="sluice-temporal-ui" content="http://ui.example:8233">');
      expect(html).toContain('<meta name="sluice-namespace" content="analytics">');
    }
  });

  it('escapes the Temporal UI address it writes into the page', async () => {
    const html = await (
      await app('http://ui.example/"><script>x</script>').request('/', { headers: HTML })
    ).text();
    expect(html).not.toContain('"><script>x');
    expect(html).toContain('content="http://ui.example/&quot;>&lt;script>x&lt;/script>"');
  });

  it('serves the bundled script and stylesheet', async () => {
    const script = await app().request('/assets/dashboard.js');
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect((await script.text()).length).toBeGreaterThan(1_000);
    const styles = await app().request('/assets/dashboard.css');
    expect(styles.status).toBe(200);
    expect(styles.headers.get('content-type')).toMatch(/^text\/css/);
    expect(await styles.text()).toMatch(/prefers-color-scheme: ?dark/);
  });

  it('leaves the API, and requests that do not want a page, to their JSON answers', async () => {
    const missing = await app().request('/api/nothing-here', { headers: HTML });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('content-type')).toMatch(/json/);
    const unauthenticated = await app().request('/api/environments', { headers: HTML });
    expect(unauthenticated.status).toBe(401);
    const notAPage = await app().request('/environments');
    expect(notAPage.status).toBe(404);
    expect(notAPage.headers.get('content-type')).toMatch(/json/);
    const notOurs = await app().request('/wp-admin', { headers: HTML });
    expect(notOurs.status).toBe(404);
    expect(notOurs.headers.get('content-type')).toMatch(/json/);
  });
});
