/**
 * The CLI's API commands, run as `bin/sluice.js` processes against a listening API on a real stack
 * (Temporal dev server, workers, prod planned from the quickstart example): what they print, their
 * exit codes (0 done, 1 failed, 2 rejected), and one-line errors that say what to do.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../../api/auth/tokens.ts';
import { type ApiServer, startApiServer } from '../../api/server.ts';
import { getPlan } from '../../state/plans.ts';
import { eventually, startTestStack, type TestStack } from '../api/support/stack.ts';
import { tableCounts } from '../api/support/state.ts';
import { startWebhookReceiver, verifySignature } from '../support/webhook-receiver.ts';

const bin = fileURLToPath(new URL('../../bin/sluice.js', import.meta.url));

let t: TestStack;
let server: ApiServer;
let admin: string;
let scratch: string;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function sluice(args: string[], env: Record<string, string> = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: {
        PATH: process.env.PATH ?? '',
        SLUICE_API_URL: server.url,
        SLUICE_TOKEN: admin,
        SLUICE_POLL_MS: '200',
        ...env,
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `sluice <args> | <reader>` in a shell with pipefail: sluice's exit code and its stderr. */
function sluiceInto(reader: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const quoted = [process.execPath, bin, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
    const child = spawn('bash', ['-o', 'pipefail', '-c', `${quoted} | ${reader}`], {
      env: { PATH: process.env.PATH ?? '', SLUICE_API_URL: server.url, SLUICE_TOKEN: admin },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** A copy of the stack's project with `edit` applied to one model file. */
function projectCopy(file: string, edit: (text: string) => string): string {
  const dir = join(mkdtempSync(join(scratch, 'project-')), 'quickstart');
  cpSync(t.project, dir, {
    recursive: true,
    filter: (source) => !source.includes('.sluice') && !source.includes('warehouse.duckdb'),
  });
  const path = join(dir, 'models', file);
  writeFileSync(path, edit(readFileSync(path, 'utf8')));
  return dir;
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'sluice-cli-api-'));
  t = await startTestStack('cli_api');
  admin = (
    await createApiToken(t.state.db, {
      name: 'admin',
      role: 'admin',
      environments: ['*'],
      createdBy: 'tests',
    })
  ).token;
  server = await startApiServer({
    db: t.state.db,
    client: t.stack.client,
    host: '127.0.0.1',
    port: 0,
    eventPollMs: 100,
    log: () => {},
  });
}, 180_000);

afterAll(async () => {
  await server?.close();
  await t?.dispose();
  rmSync(scratch, { recursive: true, force: true });
});

describe('sluice CLI against the API', () => {
  it('status, schedules and runs print tables, and JSON with --json', async () => {
    const status = await sluice(['status']);
    expect(status.stderr).toBe('');
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^API ok \(auth tokens\)\nTemporal: reachable\nState DB: reachable\n/);
    expect(status.stdout).toMatch(/\nprod\s+5\s+-\s+\S+/);

    const env = await sluice(['status', 'prod']);
    expect(env.code).toBe(0);
    expect(env.stdout).toContain('Environment prod: 5 models');
    expect(env.stdout).toMatch(
      /shop\.minute_heartbeat\s+INCREMENTAL_BY_TIME_RANGE\s+\* \* \* \* \*\s+UTC\s+\S+Z\s+(scheduled|running)/,
    );

    const json = JSON.parse((await sluice(['status', 'prod', '--json'])).stdout);
    expect(json.name).toBe('prod');
    expect(json.workflow.running).toBe(true);

    const schedules = await sluice(['schedules', 'prod']);
    expect(schedules.code).toBe(0);
    expect(schedules.stdout).toMatch(
      /prod\s+shop\.daily_orders\s+@daily\s+UTC\s+day\s+\S+T00:00:00\.000Z\s+yes\s+no/,
    );
    // a SEED is enabled but runs only when a plan applies: the API, `schedules` and `validate` agree
    expect(schedules.stdout).toMatch(
      /prod\s+shop\.raw_orders\s+@daily\s+UTC\s+day\s+- \(built by plans\)\s+yes\s+no/,
    );
    const seed = JSON.parse((await sluice(['schedules', 'prod', '--json'])).stdout).items.find(
      (s: { model: string }) => s.model === 'shop.raw_orders',
    );
    expect(seed).toMatchObject({ kind: 'SEED', enabled: true, scheduled: false, nextRun: null });
    const runs = JSON.parse((await sluice(['runs', '--environment', 'prod', '--json'])).stdout);
    expect(runs.items.length).toBeGreaterThan(0);
    const unknown = await sluice(['runs', '--environment', 'nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^sluice: unknown environment "nope"/);
  });

  it('pause, pauses and resume a model; a repeated pause exits 2 with one line', async () => {
    const paused = await sluice([
      'pause',
      'prod',
      '--model',
      'shop.customer_totals',
      '--reason',
      'late source',
    ]);
    expect(paused.stderr).toBe('');
    expect(paused.stdout).toBe('shop.customer_totals in prod paused\n');
    expect(paused.code).toBe(0);
    const pauses = await sluice(['pauses']);
    expect(pauses.stdout).toMatch(
      /shop\.customer_totals\s+admin \(tok_\w+\)\s+\S+\s+late source\s+shop\.customer_totals, shop\.top_customers/,
    );
    const again = await sluice(['pause', 'prod', '--model', 'shop.customer_totals', '--reason', 'x']);
    expect(again.code).toBe(2);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(
      /^sluice: model shop\.customer_totals in environment prod is already paused .*; resume it first to change the reason\n$/,
    );
    const resumed = await sluice(['resume', '--model', 'shop.customer_totals']);
    expect(resumed.stdout).toBe('shop.customer_totals in prod resumed\n');
    expect((await sluice(['pauses', 'prod'])).stdout).toBe('Nothing is paused in prod\n');
    const missing = await sluice(['pause', 'prod']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      "sluice: required option '--reason <text>' not specified; see sluice pause --help\n",
    );
  });

  it('plan prints the diff and stores the plan; apply follows it until it is applied', async () => {
    const dir = projectCopy('top_customers.sql', (text) => text.replace('LIMIT 5', 'LIMIT 2'));
    const plan = await sluice(['plan', 'prod', '--project', dir]);
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain(
      'Summary of differences from `prod`:\nDirectly Modified:\n- shop.top_customers\n',
    );
    expect(plan.stdout).toMatch(
      /MODEL\s+CHANGE\s+BACKFILL BATCHES\nshop\.top_customers\s+directly modified\s+1 \(single\)/,
    );
    const planId = /apply it with: sluice apply (\S+)/.exec(plan.stdout)?.[1];
    expect(planId).toBeDefined();

    const apply = await sluice(['apply', planId!]);
    expect(apply.stderr).toBe('');
    expect(apply.code).toBe(0);
    expect(apply.stdout).toContain(`Plan ${planId} queued on prod at position 1`);
    // Progress lines follow the plan's status as polled (a fast plan may go from queued to applied).
    expect(apply.stdout).toMatch(new RegExp(`plan ${planId}: (queued|applying)[^\\n]*\\n`));
    expect(apply.stdout).toMatch(
      new RegExp(`plan ${planId}: applied[^\\n]*\\nPlan ${planId} applied to prod\\n$`),
    );

    const again = await sluice(['apply', planId!]);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(
      `sluice: plan ${planId} is applied; compute a new plan to change environment prod\n`,
    );
  });

  it('plan --ttl sets the expiry environments list shows; environments delete removes it and says who asked; the janitor runs', async () => {
    const dir = projectCopy('top_customers.sql', (text) => text.replace('LIMIT 5', 'LIMIT 3'));
    const plan = await sluice(['plan', 'pr_7', '--ttl', '3d', '--auto-apply', '--project', dir]);
    expect(plan.stderr).toBe('');
    expect(plan.code).toBe(0);
    const listed = await sluice(['environments', 'list']);
    expect(listed.code).toBe(0);
    const row = listed.stdout.split('\n').find((line) => line.startsWith('pr_7 '));
    expect(row).toMatch(/\d{4}-\d\d-\d\dT[\d:.]+Z$/);
    expect(listed.stdout.split('\n').find((line) => line.startsWith('prod '))).toMatch(/never$/);

    const prod = await sluice(['environments', 'delete', 'prod']);
    expect(prod).toEqual({ code: 2, stdout: '', stderr: 'sluice: the prod environment cannot be deleted\n' });

    const deleted = await sluice(['environments', 'delete', 'pr_7']);
    expect(deleted.stderr).toBe('');
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toMatch(/^Deleted pr_7\n/);
    const deletion = await sluice(['environments', 'deletion', 'pr_7']);
    expect(deletion.code).toBe(0);
    expect(deletion.stdout).toMatch(/Asked for by admin \(/);
    expect((await sluice(['environments', 'delete', 'pr_7'])).stdout).toMatch(/^pr_7 was already deleted\n/);

    const dry = await sluice(['janitor', 'run', '--dry-run']);
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^Dry run sluice-janitor-run-/);
    const history = await sluice(['janitor', 'history']);
    expect(history.code).toBe(0);
  });

  it('cancel cancels a pending plan by id or workflow id; an ended run or plan exits 2 with the reason', async () => {
    const dir = projectCopy('top_customers.sql', (text) => text.replace('LIMIT 5', 'LIMIT 4'));
    const plan = await sluice(['plan', 'dev', '--project', dir]);
    expect(plan.code).toBe(0);
    const planId = /apply it with: sluice apply (\S+)/.exec(plan.stdout)?.[1];
    expect(planId).toBeDefined();

    const cancelled = await sluice(['cancel', `sluice-plan-${planId}`]);
    expect(cancelled.stderr).toBe('');
    expect(cancelled.code).toBe(0);
    expect(cancelled.stdout).toMatch(new RegExp(`^Plan ${planId} for dev cancelled by \\S`));
    expect(await getPlan(t.state.db, planId!)).toMatchObject({ status: 'cancelled' });

    const again = await sluice(['cancel', planId!]);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(`sluice: plan ${planId} is already cancelled\n`);
    const unknown = await sluice(['cancel', 'sluice-run-prod-19990101T0000Z']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('sluice: unknown run "sluice-run-prod-19990101T0000Z"\n');
  });

  it('plan --auto-apply applies and prints progress; a broken project exits 2 with file:line', async () => {
    const dir = projectCopy('top_customers.sql', (text) => text.replace('LIMIT 5', 'LIMIT 7'));
    const auto = await sluice(['plan', '--project', dir, '--auto-apply']);
    expect(auto.stderr).toBe('');
    expect(auto.code).toBe(0);
    expect(auto.stdout).toMatch(/Plan \S+ queued on prod at position 1\n/);
    expect(auto.stdout).toMatch(/Plan \S+ applied to prod\n$/);

    const same = await sluice(['plan', '--project', dir]);
    expect(same.code).toBe(0);
    expect(same.stdout).toContain('No changes to plan: project files match the `prod` environment');
    expect(same.stdout).not.toContain('sluice apply');

    const broken = projectCopy('daily_orders.sql', (text) => text.replace("cron '@daily'", "cron 'often'"));
    const bad = await sluice(['plan', '--project', broken]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/models\/daily_orders\.sql:\d+: invalid cron "often"/);
    expect(bad.stderr).toMatch(
      /sluice: 1 error in .*; fix them and plan again \(sluice validate shows them\)\n$/,
    );
  });

  it('refused plan requests exit 2 with one line and leave nothing behind', async () => {
    const before = await tableCounts(t.state.db);
    const prod = await sluice([
      'plan',
      'prod',
      '--project',
      t.project,
      '--start',
      '2026-11-01',
      '--end',
      '2026-11-02',
    ]);
    expect(prod.code).toBe(2);
    expect(prod.stdout).toBe('');
    expect(prod.stderr).toBe(
      "sluice: a plan for prod covers every interval from each model's start: start and end may only narrow the plan of a development environment\n",
    );
    const auto = await sluice([
      'plan',
      'prod',
      '--project',
      t.project,
      '--end',
      '2026-11-02',
      '--auto-apply',
    ]);
    expect([auto.code, auto.stderr]).toEqual([2, prod.stderr]);
    const backwards = await sluice([
      'plan',
      'dev',
      '--project',
      t.project,
      '--start',
      '2026-11-21',
      '--end',
      '2026-11-19',
    ]);
    expect(backwards.code).toBe(2);
    // checked by the CLI before it calls the API
    expect(backwards.stderr).toBe(
      'sluice: --end (2026-11-20T00:00:00.000Z) must be after --start (2026-11-21T00:00:00.000Z)\n',
    );
    const unreadable = await sluice(['plan', 'dev', '--project', t.project, '--start', 'last blue moon']);
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toMatch(/^sluice: --start "last blue moon" is not a time: use [^\n]*\n$/);
    const unknown = await sluice(['apply', 'no-such-plan']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('sluice: unknown plan "no-such-plan"\n');
    const after = await tableCounts(t.state.db);
    expect({ plans: after.plans, environments: after.environments }).toEqual({
      plans: before.plans,
      environments: before.environments,
    });
  });

  it('apply of a plan whose environment changed exits 2 with the reason, and the plan is rejected', async () => {
    const reviewed = await sluice([
      'plan',
      '--project',
      projectCopy('top_customers.sql', (text) => text.replace('LIMIT 5', 'LIMIT 41')),
    ]);
    expect(reviewed.code).toBe(0);
    const planId = /apply it with: sluice apply (\S+)/.exec(reviewed.stdout)![1]!;
    const other = projectCopy('top_customers.sql', (text) => text.replace('LIMIT 5', 'LIMIT 42'));
    expect((await sluice(['plan', '--project', other, '--auto-apply'])).code).toBe(0);

    const stale = await sluice(['apply', planId]);
    expect(stale.code).toBe(2);
    expect(stale.stdout).toBe('');
    const reason = `plan ${planId} cannot be applied: environment "prod" changed since plan "${planId}" was computed (shop.top_customers): compute the plan again`;
    expect(stale.stderr).toBe(`sluice: ${reason}\n`);
    expect(await getPlan(t.state.db, planId)).toMatchObject({ status: 'rejected', error: reason });
    const again = await sluice(['apply', planId]);
    expect(again.code).toBe(2);
    expect(again.stderr).toBe(
      `sluice: plan ${planId} was rejected: ${reason}; compute a new plan to change environment prod\n`,
    );
  });

  it('plan --auto-apply started together: each queues, waits its turn and prints the diff it applied', async () => {
    const limits = [51, 52, 53];
    const results = await Promise.all(
      limits.map((limit) =>
        sluice([
          'plan',
          '--project',
          projectCopy('top_customers.sql', (text) => text.replace('LIMIT 5', `LIMIT ${limit}`)),
          '--auto-apply',
        ]),
      ),
    );
    for (const r of results) {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Plan \S+ queued on prod at position \d+/m);
      expect(r.stdout).toMatch(
        /Directly Modified:\n- shop\.top_customers\n[\s\S]*\nPlan \S+ applied to prod\n$/,
      );
    }
    const ids = results.map((r) => /Plan (\S+) applied to prod\n$/.exec(r.stdout)![1]!);
    const plans = await Promise.all(ids.map((id) => getPlan(t.state.db, id)));
    expect(plans.map((p) => p?.status)).toEqual(['applied', 'applied', 'applied']);
    // a plan that queued behind another prints the diff it applied, read once it was applied
    for (const r of results.filter((r) => r.stdout.includes('its diff is computed again'))) {
      const [, queuedLine, afterQueued] = /^(Plan \S+ queued[^\n]*)\n([\s\S]*)$/m.exec(r.stdout)!;
      expect(queuedLine).toMatch(/; its diff is computed again when its turn comes$/);
      expect(afterQueued).toContain('Summary of differences from `prod`');
    }
  });

  it('restate starts a run; logs --follow streams it to the end and logs prints its executions', async () => {
    const restate = await sluice([
      'restate',
      'prod',
      '--select-model',
      'shop.daily_orders',
      '--start',
      '2026-11-01',
      '--end',
      '2026-11-02',
    ]);
    expect(restate.stderr).toBe('');
    expect(restate.code).toBe(0);
    const runId =
      /^Run (\S+) queued in prod for shop\.daily_orders restating 2026-11-01T00:00:00\.000Z - 2026-11-03T00:00:00\.000Z\n/.exec(
        restate.stdout,
      )?.[1];
    expect(runId).toBeDefined();
    await eventually(
      () => sluice(['logs', runId!, '--json']),
      (r) => r.code === 0,
      'the run to be recorded',
    );

    const follow = await sluice(['logs', runId!, '--follow']);
    expect(follow.stderr).toBe('');
    expect(follow.code).toBe(0);
    expect(follow.stdout).toMatch(/shop\.daily_orders \[2026-11-01T00:00:00\.000Z - \S+\): succeeded\n/);
    expect(follow.stdout).toMatch(
      new RegExp(`run ${runId} ended: succeeded; wait [^,]+, prep \\d[^,]*, run \\d[^\\n]*\\n$`),
    );

    const logs = await sluice(['logs', runId!]);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain(`Run ${runId} (restatement, prod): succeeded`);
    expect(logs.stdout).toMatch(/\nwait \d[^,]*, prep \d[^,]*, run \d[^\n]*\n/);
    const shown = await sluice(['runs', runId!]);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^Scheduled \S+, ready \S+, first statement \S+, finished \S+$/m);
    const listed = await sluice(['runs', '--environment', 'prod']);
    expect(listed.stdout).toMatch(/WAIT\s+PREP\s+RUN TIME\s+MODELS/);
    expect(logs.stdout).toMatch(/shop\.daily_orders\s+\[2026-11-01T00:00:00\.000Z - \S+\)\s+succeeded\s+1/);
    // each statement's timing follows it, so the last line is the last statement's note
    expect(logs.stdout).toMatch(/\n[^\n-][^\n]*\n-- \d+ ms, (\d+|\?) rows\n$/);
    // a reader that stops early (`| head`) ends the command quietly
    const piped = await sluiceInto('true', ['logs', runId!]);
    expect(piped).toEqual({ code: 0, stderr: '' });

    // what needs the models is the API's to check: its 422 is printed as it comes
    const early = await sluice([
      'restate',
      '--select-model',
      'shop.daily_orders',
      '--start',
      '1999-12-01',
      '--end',
      '2026-11-02',
    ]);
    expect(early.code).toBe(2);
    expect(early.stderr).toMatch(
      /^sluice: restate\.start \(1999-12-01T00:00:00\.000Z\) is before the start of shop\.daily_orders \([^)]*\): restate from \S+ or later\n$/,
    );
    const noRestateModel = await sluice(['restate', '--start', '2026-11-01', '--end', '2026-11-02']);
    expect(noRestateModel.code).toBe(2);
    expect(noRestateModel.stderr).toBe('sluice: restate needs at least one --select-model <model>\n');
    const unknown = await sluice(['run', 'prod', '--select-model', 'shop.nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('sluice: environment "prod" has no model "shop.nope"\n');
  });

  it('token create prints the token once; list and revoke manage it', async () => {
    const created = await sluice([
      'token',
      'create',
      '--name',
      'dashboards',
      '--role',
      'viewer',
      '--environment',
      'dev_*',
    ]);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^sluice_[A-Za-z0-9_-]{43}$/);
    expect(created.stderr).toMatch(
      /^Token (tok_\w+) \(dashboards, viewer on dev_\*\) created\. It is shown only now/,
    );
    const id = /^Token (tok_\w+)/.exec(created.stderr)![1]!;

    const viewer = await sluice(['runs', '--limit', '1'], { SLUICE_TOKEN: token });
    expect(viewer.code).toBe(0);
    const refused = await sluice(['pause', '--reason', 'x'], { SLUICE_TOKEN: token });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toBe(
      `sluice: dashboards (${id}) has role viewer; to pause, resume and trigger runs it needs role operator or higher\n`,
    );

    const list = await sluice(['token', 'list']);
    expect(list.stdout).toMatch(new RegExp(`${id}\\s+dashboards\\s+viewer\\s+dev_\\*`));
    expect(list.stdout).not.toContain(token);
    const revoke = await sluice(['token', 'revoke', id]);
    expect(revoke.stdout).toBe(`Token ${id} (dashboards) revoked\n`);
    const gone = await sluice(['runs'], { SLUICE_TOKEN: token });
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(
      /^sluice: API token is not valid: .* \(set SLUICE_TOKEN or pass --token\)\n$/,
    );
  });

  it('notifications add prints the secret once; test, deliveries, list and remove manage the webhook', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const before = await tableCounts(t.state.db);
      const bad = await sluice([
        'notifications',
        'add',
        '--environment',
        'prod',
        '--url',
        'ftp://example.com/x',
      ]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toBe(
        'sluice: --url: "ftp://example.com/x" uses ftp; only http and https are allowed\n',
      );
      const unknown = await sluice([
        'notifications',
        'add',
        '--environment',
        'prod',
        '--url',
        receiver.url,
        '--events',
        'run.failed,run.exploded',
      ]);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toMatch(/^sluice: --events: unknown event "run\.exploded"/);
      expect(await tableCounts(t.state.db)).toEqual(before);

      const added = await sluice([
        'notifications',
        'add',
        '--environment',
        'pr_*',
        '--url',
        receiver.url,
        '--events',
        'run.failed',
        '--events',
        'plan.failed',
        '--format',
        'slack',
      ]);
      expect(added.code).toBe(0);
      const secret = added.stdout.trim();
      expect(secret).toMatch(/^whsec_[0-9a-f]{64}$/);
      const id = /^Webhook (wh_\w+) added: run\.failed, plan\.failed of pr_\* to /.exec(added.stderr)![1]!;

      const list = await sluice(['notifications', 'list']);
      expect(list.stdout).toMatch(new RegExp(`${id}\\s+pr_\\*\\s+run\\.failed,plan\\.failed\\s+slack`));
      expect(list.stdout).not.toContain(secret);

      // the receiver answers 500 first: the test says so, and the retry follows
      const test = await sluice(['notifications', 'test', id]);
      expect(test.code).toBe(1);
      expect(test.stderr).toMatch(/^sluice: test delivery dlv_\w+ failed: the receiver answered 500/);
      const retried = /dlv_\w+\s+test\s+pr_\*\s+delivered\s+2\s+200/;
      await eventually(
        () => sluice(['notifications', 'deliveries', id]),
        (deliveries) => retried.test(deliveries.stdout),
        'the test delivery to be retried',
        30_000,
      );
      const slack = JSON.parse(receiver.requests[0]!.body) as { text: string; blocks: unknown[] };
      expect(slack.text).toBe(':wave: Test notification in pr_*: sluice');
      expect(verifySignature(receiver.requests[0]!, secret, Date.now())).toBe(true);

      const removed = await sluice(['notifications', 'remove', id]);
      expect(removed.stdout).toBe(`Webhook ${id} (${receiver.url}) removed\n`);
      expect((await sluice(['notifications', 'list'])).stdout).toBe('No webhooks\n');
    } finally {
      await receiver.close();
    }
  });

  it('says what to do when the API cannot be reached or refuses the request', async () => {
    const closed = await closedPort();
    const down = await sluice(['status'], { SLUICE_API_URL: `http://127.0.0.1:${closed}` });
    expect(down.code).toBe(1);
    expect(down.stderr).toBe(
      `sluice: cannot reach the sluice API at http://127.0.0.1:${closed} (ECONNREFUSED); start it with \`sluice api\` or point SLUICE_API_URL (or --url) at it\n`,
    );
    const anonymous = await sluice(['runs'], { SLUICE_TOKEN: '' });
    expect(anonymous.code).toBe(2);
    expect(anonymous.stderr).toMatch(
      /^sluice: missing Authorization header: .* \(set SLUICE_TOKEN or pass --token\)\n$/,
    );
    const unknownEnv = await sluice(['pauses', 'staging']);
    expect(unknownEnv.code).toBe(2);
    expect(unknownEnv.stderr).toBe(
      'sluice: unknown environment "staging"; plan a project into it first (sluice plan staging)\n',
    );
  });
});

describe('sluice api', () => {
  function startApi(
    args: string[],
    env: Record<string, string>,
  ): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
    const child = spawn(process.execPath, [bin, 'api', ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let output = '';
    child.stdout!.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr!.on('data', (chunk) => {
      output += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    return { child, output: () => output, exited };
  }

  it('serves the API with tokens on, then stops on SIGTERM', async () => {
    const api = startApi(['--port', '0'], {
      SLUICE_DATABASE_URL: t.databaseUrl,
      TEMPORAL_ADDRESS: t.stack.urls.temporal,
    });
    const line = await eventually(
      async () => /listening on (http:\/\/\S+) /.exec(api.output())?.[1],
      (url) => url !== undefined,
      'the API to listen',
    );
    expect(api.output()).toContain('sluice api: authentication is on');
    const health = await fetch(`${line}/api/health`);
    expect(health.status).toBe(200);
    const runs = await fetch(`${line}/api/runs`, { headers: { authorization: `Bearer ${admin}` } });
    expect(runs.status).toBe(200);
    api.child.kill('SIGTERM');
    expect(await api.exited).toBe(0);
    expect(api.output()).toContain('sluice api: stopping');
  });

  it('refuses to listen beyond loopback when no token exists, with exit code 2', async () => {
    const home = mkdtempSync(join(scratch, 'home-'));
    const api = startApi(['--host', '0.0.0.0', '--port', '0'], {
      SLUICE_HOME: home,
      TEMPORAL_ADDRESS: '127.0.0.1:9',
    });
    expect(await api.exited).toBe(2);
    expect(api.output()).toMatch(/^sluice: refusing to start on 0\.0\.0\.0:0: no API tokens exist/);
  });
});
