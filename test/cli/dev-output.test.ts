/**
 * `sluice dev` as a person runs it, started as a process with its output piped: after start-up it prints
 * a line per plan step and per run start and end, in the documented format and without colour
 * escapes; `--quiet` prints none of them while runs go on. A project with one model on a minute cron
 * gives each stack a scheduled run within a minute; both stacks wait for the same tick.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/ports.ts';
import { type SluiceProcess, SluiceProcesses } from '../support/sluice-process.ts';
import { waitFor } from '../support/waiting.ts';

const processes = new SluiceProcesses();
let root: string;

const START = /^\d\d:\d\d:\d\d ▶ prod schedule run started: 1 model \(demo\.heartbeat\) \[(\S+)\]$/m;
const END =
  /^\d\d:\d\d:\d\d ✓ prod schedule run succeeded in \d[\d.]* m?s: 1 model \(demo\.heartbeat\), 1 row \[(\S+)\]$/m;

function writeProject(dir: string): void {
  mkdirSync(join(dir, 'models'), { recursive: true });
  writeFileSync(
    join(dir, 'config.yaml'),
    'gateways:\n  local:\n    connection:\n      type: duckdb\n      database: warehouse.duckdb\ndefault_gateway: local\nmodel_defaults:\n  dialect: duckdb\n',
  );
  writeFileSync(
    join(dir, 'models', 'heartbeat.sql'),
    [
      'MODEL (',
      '  name demo.heartbeat,',
      '  kind INCREMENTAL_BY_TIME_RANGE (time_column minute),',
      "  cron '* * * * *',",
      "  start '10 minutes ago',",
      ');',
      '',
      'SELECT range AS minute FROM range(CAST(@start_ts AS TIMESTAMP), CAST(@end_ts AS TIMESTAMP), INTERVAL 1 MINUTE)',
      '',
    ].join('\n'),
  );
}

async function startDev(name: string, args: string[]): Promise<SluiceProcess> {
  const project = join(root, name);
  writeProject(project);
  return processes.start(
    name,
    ['dev', '--project', project, ...args],
    {
      SLUICE_HOME: join(root, `${name}-home`),
      SLUICE_TEMPORAL_PORT: String(await freePort()),
      SLUICE_TEMPORAL_UI_PORT: String(await freePort()),
      SLUICE_API_PORT: '0',
      SLUICE_SHUTDOWN_GRACE: '5s',
      ...(process.env.SLUICE_TEMPORAL_CLI ? { SLUICE_TEMPORAL_CLI: process.env.SLUICE_TEMPORAL_CLI } : {}),
    },
    /sluice dev is running/,
    150_000,
  );
}

/** The runs of prod the stack's own API lists. */
async function prodRuns(dev: SluiceProcess): Promise<Array<{ id: string; trigger: string; status: string }>> {
  const api = /^API: (http:\/\/\S+)\/api /m.exec(dev.output())?.[1];
  if (api === undefined) throw new Error(`no API address in the output:\n${dev.output()}`);
  const response = await fetch(`${api}/api/runs?environment=prod`);
  const body = (await response.json()) as { items: Array<{ id: string; trigger: string; status: string }> };
  return body.items;
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'sluice-dev-output-'));
});

afterAll(async () => {
  await processes.stopAll();
  rmSync(root, { recursive: true, force: true });
});

describe('sluice dev output', () => {
  it('prints plan steps and a line per run start and end, without escapes when piped; --quiet hides them', async () => {
    const [talking, quiet] = await Promise.all([startDev('talking', []), startDev('quiet', ['--quiet'])]);

    // the plan that creates prod, step by step
    const planLines = await waitFor(
      'the plan applied line',
      async () => (/ ✓ prod plan \S+ applied in /.test(talking.output()) ? talking.output() : undefined),
      120_000,
    );
    expect(planLines).toMatch(/^\d\d:\d\d:\d\d • prod plan (\S+) (queued|applying)$/m);
    expect(planLines).toMatch(
      /^\d\d:\d\d:\d\d ✓ prod plan run succeeded in .*: 1 model \(demo\.heartbeat\), \d+ rows? \[\S+\]$/m,
    );

    // the first scheduled run: its start, then its end, naming the same run
    const ended = await waitFor(
      'a scheduled run to end',
      async () => END.exec(talking.output()) ?? undefined,
      150_000,
    );
    const started = START.exec(talking.output());
    expect(started?.[1]).toBe(ended[1]);
    expect(talking.output().indexOf(started![0])).toBeLessThan(talking.output().indexOf(ended[0]));
    expect(talking.output()).not.toContain('\u001b[');
    // an expected conflict or anything else never brings a stack trace
    expect(talking.output()).not.toMatch(/^\s+at /m);

    // --quiet: runs happen, and after start-up it says nothing about them
    const quietRun = await waitFor(
      'a scheduled run under --quiet',
      async () =>
        (await prodRuns(quiet)).find((run) => run.trigger === 'schedule' && run.status === 'succeeded'),
      150_000,
    );
    expect(quietRun).toBeDefined();
    const afterStart = quiet.output().slice(quiet.output().indexOf('sluice dev is running'));
    expect(afterStart.trim()).toBe('sluice dev is running; press Ctrl-C to stop');
    expect(quiet.output()).toMatch(/^Submitted plan \S+ to prod/m);

    expect(await talking.stop('SIGTERM')).toBe(0);
    expect(await quiet.stop('SIGTERM')).toBe(0);
  }, 420_000);
});
