import { resolve } from 'node:path';
import type { Command } from 'commander';
import { formatIssue, type Project, ProjectError } from '../../core/project/types.ts';
import { nextCronRun } from '../../core/schedule.ts';
import { formatUtc } from '../../core/time.ts';
import { CliError, EXIT } from '../errors.ts';
import { formatTable } from '../table.ts';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('load a project, check every model, and print models, crons, DAG edges and next runs')
    .option('-p, --project <dir>', 'project folder', '.')
    .option('--json', 'print the result as JSON')
    .action(async (options: { project: string; json?: boolean }) => {
      // loaded here so that other commands do not pay for the project loader
      const { loadProject } = await import('../../core/project/load.ts');
      const now = Date.now();
      let project: Project;
      try {
        project = loadProject(resolve(options.project), { env: process.env, now });
      } catch (err) {
        if (err instanceof ProjectError) {
          for (const issue of err.issues) process.stderr.write(`${formatIssue(issue)}\n`);
          const n = err.issues.length;
          throw new CliError(
            `${n} error${n === 1 ? '' : 's'} in ${options.project}; fix them and run validate again`,
            EXIT.invalid,
          );
        }
        throw err;
      }
      process.stdout.write(
        `${options.json ? JSON.stringify(describeProject(project, now), null, 2) : renderProject(project, now)}\n`,
      );
    });
}

export function describeProject(project: Project, now: number) {
  return {
    root: project.root,
    defaultGateway: project.config.defaultGateway,
    models: project.models.map((m) => ({
      name: m.name,
      kind: m.kind.name,
      cron: m.cron,
      cronTz: m.cronTz,
      intervalUnit: m.intervalUnit,
      start: new Date(m.start.ms).toISOString(),
      dependsOn: m.dependsOn,
      enabled: m.enabled,
      nextRun: isoOrNull(nextRunOf(m, now)),
      file: m.location.file,
    })),
    edges: project.models.flatMap((m) => m.dependsOn.map((d) => [d, m.name] as const)),
    notices: project.notices,
  };
}

function renderProject(project: Project, now: number): string {
  const d = describeProject(project, now);
  const rows = project.models.map((m) => [
    m.name,
    m.kind.name,
    m.cron,
    m.cronTz,
    m.intervalUnit,
    formatNextRun(nextRunOf(m, now)),
  ]);
  const out = [
    `Project ${d.root}: ${d.models.length} model${d.models.length === 1 ? '' : 's'}, default gateway ${d.defaultGateway}`,
    '',
    formatTable(['MODEL', 'KIND', 'CRON', 'TIMEZONE', 'UNIT', 'NEXT RUN (UTC)'], rows),
    '',
    'DAG edges:',
    ...(d.edges.length ? d.edges.map(([from, to]) => `  ${from} -> ${to}`) : ['  (none)']),
  ];
  if (d.notices.length) out.push('', 'Notices:', ...d.notices.map((n) => `  ${n}`));
  out.push('', 'Project is valid.');
  return out.join('\n');
}

/** When `m` next runs on its cron, or null: the same answer the scheduler and the API give. */
function nextRunOf(m: Project['models'][number], now: number): number | null {
  return nextCronRun(
    {
      kind: m.kind.name,
      ...(m.kind.name === 'VIEW' ? { materialized: m.kind.materialized } : {}),
      enabled: m.enabled,
      cron: m.cron,
      cronTz: m.cronTz,
    },
    now,
  );
}

const isoOrNull = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const formatNextRun = (ms: number | null) => (ms === null ? '-' : formatUtc(ms));
