/**
 * docker-compose.yml: validated by Debian bookworm's docker-compose (1.29, the one `npm run setup` installs)
 * with the example env file, then checked for what the README promises: every service present, each
 * long-running one with a health check that really tells healthy from unhealthy, start-up in
 * dependency order, and each secret reaching only the services that need it (the warehouse password
 * only the warehouse side). No Docker engine is needed: `config` only parses and interpolates.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigurationError } from '../../config/configuration-error.ts';
import { loadProject } from '../../core/project/load.ts';
import { readWorkerConfig } from '../../workers/config.ts';
import { readTemporalConfig } from '../../workers/temporal-config.ts';
import { REPO_ROOT, readEnvFile } from './support/manifests.ts';

const COMPOSE_FILE = join(REPO_ROOT, 'docker-compose.yml');
const EXAMPLE_ENV = join(REPO_ROOT, 'deploy', 'compose.env.example');
const EXAMPLE_PROJECT = join(REPO_ROOT, 'examples', 'quickstart-postgres');

interface ComposeService {
  image?: string;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  restart?: string;
  profiles?: string[];
  ports?: string[];
}

interface ComposeConfig {
  services: Record<string, ComposeService>;
}

/** Services that keep running, each with a health check. */
const LONG_RUNNING = [
  'temporal-db',
  'temporal',
  'temporal-ui',
  'state-db',
  'sluice-api',
  'sluice-scheduler',
  'warehouse',
  'sluice-run-executor',
  'sluice-apply-executor',
];
/** Services that do one thing and exit. */
const ONE_SHOT = ['temporal-setup', 'sluice-bootstrap', 'cli'];
const WORKERS: Record<string, string> = {
  'sluice-scheduler': 'scheduler',
  'sluice-run-executor': 'run',
  'sluice-apply-executor': 'apply',
};

/** Runs docker-compose on the repository's compose file, with nothing of this process's environment. */
function dockerCompose(envFile: string, args: string[]) {
  const result = spawnSync('docker-compose', ['--env-file', envFile, '-f', COMPOSE_FILE, ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmpdir(), LC_ALL: 'C.UTF-8' },
    timeout: 60_000,
  });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error(
      "docker-compose is not installed: install Debian bookworm's docker-compose package " +
        '(apt-get install -y --no-install-recommends docker-compose, Compose 1.29); `npm run setup` installs it when missing',
    );
  }
  if (result.error) throw result.error;
  return result;
}

/** Runs `node -e code`; resolves with its exit code. */
function runNode(code: string): Promise<number> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['-e', code], { timeout: 20_000 }, (error) => {
      resolve(error === null ? 0 : typeof error.code === 'number' ? error.code : -1);
    });
  });
}

const example = readEnvFile(EXAMPLE_ENV);

/**
 * `docker-compose config` with the example env file, run once on first use: inside the tests, so a
 * missing docker-compose fails each of them with the install hint instead of skipping them.
 */
let validated: { config: ComposeConfig; stderr: string } | undefined;
function composeConfig(): { config: ComposeConfig; stderr: string } {
  if (validated === undefined) {
    const result = dockerCompose(EXAMPLE_ENV, ['config']);
    if (result.status !== 0)
      throw new Error(`docker-compose config failed (exit ${result.status}):\n${result.stderr}`);
    validated = { config: parse(result.stdout) as ComposeConfig, stderr: result.stderr };
  }
  return validated;
}

const service = (name: string): ComposeService => {
  const found = composeConfig().config.services[name];
  if (found === undefined) throw new Error(`no service ${name}`);
  return found;
};
const environment = (name: string) => service(name).environment ?? {};

describe('docker-compose.yml', () => {
  it('validates with docker-compose 1.29 and the example env file, without warnings', () => {
    const { config, stderr } = composeConfig();
    // the output read below is 1.29's (Debian bookworm's package), the oldest Compose the file supports
    const version = spawnSync('docker-compose', ['version', '--short'], { encoding: 'utf8' }).stdout.trim();
    expect(version, "docker-compose version (install Debian bookworm's docker-compose package)").toMatch(
      /^1\.29\./,
    );
    expect(stderr).not.toMatch(/warn|unsupported|ignored|deprecated/i);
    expect(Object.keys(config.services).sort()).toEqual([...LONG_RUNNING, ...ONE_SHOT].sort());
    expect(readFileSync(COMPOSE_FILE, 'utf8')).not.toMatch(/^version:/m);
  });

  it('gives every long-running service a health check and a restart policy', () => {
    for (const name of LONG_RUNNING) {
      const { healthcheck, restart } = service(name);
      expect(healthcheck?.disable ?? false, name).toBe(false);
      expect(healthcheck?.test?.length ?? 0, name).toBeGreaterThan(1);
      expect(['CMD', 'CMD-SHELL'], name).toContain(healthcheck?.test?.[0]);
      expect(restart, name).toBe('unless-stopped');
    }
    for (const name of ONE_SHOT) expect(service(name).restart, name).toBe('no');
    expect(service('cli').profiles).toEqual(['cli']);
  });

  it('runs every role from the one sluice image', () => {
    const image = service('sluice-api').image;
    for (const name of [
      'sluice-api',
      'sluice-scheduler',
      'sluice-run-executor',
      'sluice-apply-executor',
      'sluice-bootstrap',
      'cli',
    ]) {
      expect(service(name).image, name).toBe(image);
    }
    expect(service('sluice-api').command).toEqual(['api']);
    for (const [name, role] of Object.entries(WORKERS)) {
      expect(service(name).command, name).toEqual(['worker', '--role', role]);
    }
    expect(service('sluice-bootstrap').entrypoint).toEqual(['sh', 'deploy/bootstrap-admin-token.sh']);
  });

  describe('health checks', () => {
    let server: Server;
    let status = 200;
    const seen: string[] = [];
    let base: string;

    beforeAll(async () => {
      server = createServer((request, response) => {
        seen.push(request.url ?? '');
        response.writeHead(status, { 'content-type': 'application/json' }).end('{}');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    /** The node -e program of a service's check, pointed at this test's server instead of `url`'s origin. */
    function probe(name: string, url: string): string {
      const test = service(name).healthcheck?.test ?? [];
      expect(test.slice(0, 3), name).toEqual(['CMD', 'node', '-e']);
      expect(test[3], name).toContain(`'${url}'`);
      return test[3]!.replace(new URL(url).origin, base);
    }

    it('pass for a worker that is ready and fail for one that is not, on /readyz at port 9090', async () => {
      for (const name of Object.keys(WORKERS)) {
        expect(environment(name).SLUICE_HEALTH_PORT, name).toBe('9090');
        const code = probe(name, 'http://127.0.0.1:9090/readyz');
        status = 200;
        expect(await runNode(code), `${name} ready`).toBe(0);
        status = 503;
        expect(await runNode(code), `${name} not ready`).toBe(1);
      }
      expect(seen.filter((url) => url === '/readyz')).toHaveLength(6);
    });

    it('pass for an API whose /api/health is ok and fail when it is degraded or down', async () => {
      expect(environment('sluice-api')).toMatchObject({
        SLUICE_API_HOST: '0.0.0.0',
        SLUICE_API_PORT: '8787',
      });
      expect(service('sluice-api').ports).toEqual(['127.0.0.1:8787:8787/tcp']);
      const code = probe('sluice-api', 'http://127.0.0.1:8787/api/health');
      status = 200;
      expect(await runNode(code)).toBe(0);
      status = 503;
      expect(await runNode(code)).toBe(1);
      expect(seen).toContain('/api/health');
      // nothing listening at all
      expect(await runNode(code.replace(base, 'http://127.0.0.1:9'))).toBe(1);
    });
  });

  it('starts services in dependency order: databases healthy, Temporal set up, first token made', () => {
    const conditions = (name: string) =>
      Object.fromEntries(
        Object.entries(service(name).depends_on ?? {}).map(([d, { condition }]) => [d, condition]),
      );
    expect(conditions('temporal')).toEqual({ 'temporal-db': 'service_healthy' });
    expect(conditions('temporal-setup')).toEqual({ temporal: 'service_healthy' });
    expect(conditions('sluice-bootstrap')).toEqual({ 'state-db': 'service_healthy' });
    expect(conditions('sluice-api')).toEqual({
      'state-db': 'service_healthy',
      'temporal-setup': 'service_completed_successfully',
      'sluice-bootstrap': 'service_completed_successfully',
    });
    expect(conditions('sluice-scheduler')).toEqual({
      'state-db': 'service_healthy',
      'temporal-setup': 'service_completed_successfully',
    });
    for (const name of ['sluice-run-executor', 'sluice-apply-executor']) {
      expect(conditions(name)).toEqual({ temporal: 'service_healthy', warehouse: 'service_healthy' });
    }
    // a one-shot is waited for until it exits successfully, anything else until it is healthy
    for (const [name, svc] of Object.entries(composeConfig().config.services)) {
      for (const [dependency, { condition }] of Object.entries(svc.depends_on ?? {})) {
        expect(condition, `${name} -> ${dependency}`).toBe(
          ONE_SHOT.includes(dependency) ? 'service_completed_successfully' : 'service_healthy',
        );
      }
    }
  });

  it('hands each secret only to the services that need it', () => {
    const { config } = composeConfig();
    const holders = (value: string) =>
      Object.entries(config.services)
        .filter(([, svc]) => Object.values(svc.environment ?? {}).some((v) => String(v).includes(value)))
        .map(([name]) => name)
        .sort();
    expect(holders(example.WAREHOUSE_DB_PASSWORD!)).toEqual([
      'sluice-apply-executor',
      'sluice-run-executor',
      'warehouse',
    ]);
    expect(holders(example.STATE_DB_PASSWORD!)).toEqual([
      'sluice-api',
      'sluice-bootstrap',
      'sluice-scheduler',
      'state-db',
    ]);
    expect(holders(example.TEMPORAL_DB_PASSWORD!)).toEqual(['temporal', 'temporal-db']);
    const sluiceProcesses = [
      'sluice-api',
      'sluice-apply-executor',
      'sluice-bootstrap',
      'sluice-run-executor',
      'sluice-scheduler',
    ];
    expect(
      sluiceProcesses.filter((name) => environment(name).SLUICE_PAYLOAD_KEY === example.SLUICE_PAYLOAD_KEY),
    ).toEqual(sluiceProcesses);
    expect(
      Object.keys(config.services)
        .filter((name) => environment(name).SLUICE_ENCRYPTION_KEY !== undefined)
        .sort(),
    ).toEqual(['sluice-api', 'sluice-apply-executor', 'sluice-bootstrap', 'sluice-run-executor']);
    expect(Object.keys(environment('cli')).sort()).toEqual(['SLUICE_API_URL', 'SLUICE_TOKEN']);
    // every secret comes from the env file: the compose file itself holds none of them
    const raw = readFileSync(COMPOSE_FILE, 'utf8');
    const secrets = Object.entries(example).filter(([key]) => /PASSWORD|KEY|TOKEN/.test(key));
    expect(secrets.map(([key]) => key).sort()).toEqual([
      'SLUICE_ENCRYPTION_KEY',
      'SLUICE_PAYLOAD_KEY',
      'SLUICE_TOKEN',
      'STATE_DB_PASSWORD',
      'TEMPORAL_DB_PASSWORD',
      'WAREHOUSE_DB_PASSWORD',
    ]);
    for (const [key, value] of secrets) {
      if (value !== '') expect(raw, key).not.toContain(value);
      expect(raw, key).toContain(`\${${key}:`);
    }
  });

  it('refuses to start without a secret, naming the missing variable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-compose-'));
    try {
      const partial = join(dir, 'compose.env');
      const lines = readFileSync(EXAMPLE_ENV, 'utf8')
        .split('\n')
        .filter((line) => !line.startsWith('WAREHOUSE_DB_PASSWORD='));
      writeFileSync(partial, lines.join('\n'));
      const result = dockerCompose(partial, ['config']);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain('set WAREHOUSE_DB_PASSWORD in deploy/compose.env');
      expect(result.stdout).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ships placeholder keys that sluice refuses, so the stack cannot run on published keys', () => {
    for (const variable of ['SLUICE_PAYLOAD_KEY', 'SLUICE_ENCRYPTION_KEY']) {
      expect(example[variable], variable).toMatch(/^replace-with/);
    }
    expect(() => readTemporalConfig({ SLUICE_PAYLOAD_KEY: example.SLUICE_PAYLOAD_KEY })).toThrow(
      ConfigurationError,
    );
    expect(() => readTemporalConfig({ SLUICE_PAYLOAD_KEY: example.SLUICE_PAYLOAD_KEY })).toThrow(
      /SLUICE_PAYLOAD_KEY/,
    );
  });

  it('configures the executors for the gateway the example project names, whose config holds no password', () => {
    const project = loadProject(EXAMPLE_PROJECT);
    const gateway = project.config.gateways[project.config.defaultGateway]!;
    expect(Object.keys(gateway.connection)).not.toContain('password');
    expect(gateway.connection.host).toBe('warehouse');
    expect(readFileSync(join(EXAMPLE_PROJECT, 'config.yaml'), 'utf8')).not.toMatch(/^\s*password\s*:/im);
    const realKey = Buffer.alloc(32, 7).toString('base64');
    for (const name of ['sluice-run-executor', 'sluice-apply-executor']) {
      const env = { ...environment(name), SLUICE_PAYLOAD_KEY: realKey, SLUICE_ENCRYPTION_KEY: realKey };
      const worker = readWorkerConfig(WORKERS[name] as 'run' | 'apply', env);
      expect(worker.defaultGateway, name).toBe(project.config.defaultGateway);
      expect(worker.gateways[project.config.defaultGateway]?.connection, name).toMatchObject({
        type: 'postgres',
        host: gateway.connection.host,
        database: gateway.connection.database,
        user: gateway.connection.user,
        password: example.WAREHOUSE_DB_PASSWORD,
      });
    }
  });
});
