/**
 * dbt and SQLMesh as a user runs them: their own CLI from bench/.venv (bench/peers/install.sh), four
 * threads each, usage statistics off, timed from process start to exit.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Measurement, timeCommand } from './measure.ts';

const VENV = resolve(fileURLToPath(import.meta.url), '../../.venv/bin');

export function pythonToolsInstalled(): boolean {
  return existsSync(join(VENV, 'dbt')) && existsSync(join(VENV, 'sqlmesh'));
}

const env: NodeJS.ProcessEnv = {
  ...process.env,
  DBT_SEND_ANONYMOUS_USAGE_STATS: 'false',
  DO_NOT_TRACK: '1',
  SQLMESH__DISABLE_ANONYMIZED_ANALYTICS: '1',
  // SQLMesh runs one model at a time on DuckDB unless told otherwise (its PostgreSQL default is 4)
  SQLMESH__GATEWAYS__WAREHOUSE__CONNECTION__CONCURRENT_TASKS: '4',
};

/** `dbt run --threads 4`: a first run builds every table; a second one rebuilds them all again. */
export function dbtRun(project: string): Promise<Measurement> {
  return timeCommand(
    join(VENV, 'dbt'),
    ['run', '--threads', '4', '--project-dir', project, '--profiles-dir', project],
    { cwd: project, env },
  );
}

/** `sqlmesh plan --auto-apply`: the first plan of prod, backfilling every model. */
export function sqlmeshPlan(project: string): Promise<Measurement> {
  return timeCommand(join(VENV, 'sqlmesh'), ['--paths', project, 'plan', '--auto-apply', '--no-prompts'], {
    cwd: project,
    env,
  });
}

/**
 * The re-run: `sqlmesh plan --restate-model '<schema>.*' --auto-apply` clears every model's
 * intervals and executes all of them again in prod at once. `sqlmesh run` would execute nothing
 * until the next cron tick, so restating is the way to make SQLMesh redo everything on demand,
 * the same as sluice's triggered restatement.
 */
export function sqlmeshRestate(project: string, schema: string): Promise<Measurement> {
  return timeCommand(
    join(VENV, 'sqlmesh'),
    ['--paths', project, 'plan', '--restate-model', `${schema}.*`, '--auto-apply', '--no-prompts'],
    { cwd: project, env },
  );
}
