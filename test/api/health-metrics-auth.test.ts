/**
 * Health and metrics with tokens on: `/api/health` answers anyone its liveness (status and time) and
 * a token holder the whole report; `/metrics` needs an API token of any role or
 * SLUICE_METRICS_TOKEN. With authentication off both stay open. Every answer is checked against
 * the OpenAPI document.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SluiceApp } from '../../api/app.ts';
import { apiServerSettings } from '../../api/server.ts';
import { ConfigurationError } from '../../config/configuration-error.ts';
import { readConfig } from '../../config/read.ts';
import { API_ROLES } from '../../db/schema.ts';
import { testApp, tokenFor, unreachableTemporal } from './support/app.ts';
import { Contract } from './support/contract.ts';
import { openTestState, type TestState } from './support/state.ts';

const METRICS_TOKEN = 'prometheus-0123456789abcdef0123456789abcdef';

describe('health and metrics with tokens on', () => {
  let state: TestState;
  let temporal: ReturnType<typeof unreachableTemporal>;
  let app: SluiceApp;
  let contract: Contract;

  beforeAll(async () => {
    state = await openTestState('pglite', 'api_health_metrics');
    temporal = unreachableTemporal();
    const settings = apiServerSettings(readConfig('api', { SLUICE_METRICS_TOKEN: METRICS_TOKEN }));
    app = testApp({ db: state.db, client: temporal.client, metricsToken: settings.metricsToken! });
    contract = await Contract.of(app);
  });
  beforeEach(() => state.reset());
  afterAll(async () => {
    await temporal.close();
    await state.dispose();
  });

  it('answers health without a token with the liveness only: status and time', async () => {
    const r = await contract.call(app, 'GET', '/api/health');
    expect(r.status).toBe(503);
    expect(Object.keys(r.body).sort()).toEqual(['status', 'time']);
    expect(r.body.status).toBe('degraded');
  });

  it('shows the whole health report to a token, from the least role up', async () => {
    for (const role of ['viewer', 'admin'] as const) {
      const r = await contract.call(app, 'GET', '/api/health', { token: await tokenFor(state.db, role) });
      expect(r.status, role).toBe(503);
      expect(r.body, role).toMatchObject({
        status: 'degraded',
        auth: 'tokens',
        temporal: { reachable: false },
        database: { reachable: true },
        runs: { queued: 0, running: 0 },
      });
    }
  });

  it('refuses health with a token that is not valid, rather than hiding the detail silently', async () => {
    const r = await contract.call(app, 'GET', '/api/health', { token: 'not-a-token' });
    expect(r.status).toBe(401);
    expect(r.headers.get('www-authenticate')).toBe('Bearer realm="sluice"');
    expect(r.body.error.code).toBe('unauthorized');
  });

  it('refuses metrics without a token, or with one that is neither an API token nor SLUICE_METRICS_TOKEN', async () => {
    const missing = await contract.call(app, 'GET', '/metrics');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer realm="sluice"');
    expect(missing.body.error).toEqual({
      code: 'unauthorized',
      message:
        'missing Authorization header: /metrics needs "Authorization: Bearer <token>" with an API token or ' +
        'SLUICE_METRICS_TOKEN (a Prometheus scrape config sends it with authorization.credentials_file)',
      details: null,
    });
    for (const wrong of [`${METRICS_TOKEN}x`, METRICS_TOKEN.slice(0, -1), 'short']) {
      const r = await contract.call(app, 'GET', '/metrics', { token: wrong });
      expect(r.status, wrong).toBe(401);
      expect(r.headers.get('www-authenticate')).toBe('Bearer realm="sluice"');
      expect(r.body.error.message).toBe(
        'the bearer token is not an API token or SLUICE_METRICS_TOKEN: an API token must be active ' +
          '(not revoked or expired); ask an admin for one',
      );
      expect(r.text).not.toContain('sluice_runs');
    }
    const basic = await contract.call(app, 'GET', '/metrics', {
      headers: { authorization: `Basic ${METRICS_TOKEN}` },
    });
    expect(basic.status).toBe(401);
  });

  it('serves metrics to SLUICE_METRICS_TOKEN and to an API token of any role', async () => {
    const prometheus = await contract.call(app, 'GET', '/metrics', { token: METRICS_TOKEN });
    expect(prometheus.status).toBe(200);
    expect(prometheus.text).toContain('sluice_api_requests_total');
    for (const role of API_ROLES) {
      const r = await contract.call(app, 'GET', '/metrics', { token: await tokenFor(state.db, role) });
      expect(r.status, role).toBe(200);
      expect(r.text).toContain('sluice_api_requests_total');
    }
  });

  it('without SLUICE_METRICS_TOKEN, serves metrics to API tokens only', async () => {
    const plain = testApp({ db: state.db, client: temporal.client });
    expect((await contract.call(plain, 'GET', '/metrics', { token: METRICS_TOKEN })).status).toBe(401);
    const viewer = await tokenFor(state.db, 'viewer');
    expect((await contract.call(plain, 'GET', '/metrics', { token: viewer })).status).toBe(200);
  });

  it('documents it: health open with an optional token, metrics behind a token or the metrics token', () => {
    const paths = contract.doc.paths as Record<string, Record<string, { security?: unknown }>>;
    expect(paths['/api/health']!.get!.security).toEqual([{}, { bearer: [] }]);
    expect(paths['/metrics']!.get!.security).toEqual([{ bearer: [] }, { metricsToken: [] }]);
  });

  it('leaves both open with authentication off', async () => {
    const open = testApp({ db: state.db, client: temporal.client, auth: 'off', metricsToken: METRICS_TOKEN });
    const health = await contract.call(open, 'GET', '/api/health');
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ auth: 'off', database: { reachable: true } });
    expect((await contract.call(open, 'GET', '/metrics')).status).toBe(200);
  });

  it('refuses a SLUICE_METRICS_TOKEN that is short or has spaces, without showing it', () => {
    for (const value of ['too-short-secret', `${'a'.repeat(20)} ${'b'.repeat(20)}`]) {
      const read = () => readConfig('api', { SLUICE_METRICS_TOKEN: value });
      expect(read, value).toThrow(ConfigurationError);
      expect(read, value).toThrow(
        /^SLUICE_METRICS_TOKEN: expected a bearer secret of at least 32 characters without spaces, e\.g\. from `openssl rand -hex 32`$/,
      );
    }
    expect(readConfig('api', { SLUICE_METRICS_TOKEN: ` ${METRICS_TOKEN} ` }).SLUICE_METRICS_TOKEN).toBe(
      METRICS_TOKEN,
    );
  });
});
