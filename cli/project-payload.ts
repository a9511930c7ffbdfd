/**
 * The project as `sluice plan` sends it: loaded locally, every problem printed with its file and
 * line (exit 2) before anything is sent, and each gateway reduced to its type so no connection
 * setting (host, user, password) leaves the machine.
 */
import { resolve } from 'node:path';
import { loadProject } from '../core/project/load.ts';
import { formatIssue, type Project, ProjectError } from '../core/project/types.ts';
import { CliError, EXIT } from './errors.ts';

export function loadProjectPayload(dir: string): Project {
  let project: Project;
  try {
    project = loadProject(resolve(dir), { env: process.env });
  } catch (err) {
    if (err instanceof ProjectError) {
      for (const issue of err.issues) process.stderr.write(`${formatIssue(issue)}\n`);
      const n = err.issues.length;
      throw new CliError(
        `${n} error${n === 1 ? '' : 's'} in ${dir}; fix them and plan again (sluice validate shows them)`,
        EXIT.invalid,
      );
    }
    throw err;
  }
  const gateways = Object.fromEntries(
    Object.entries(project.config.gateways).map(([name, gateway]) => [
      name,
      { connection: { type: gateway.connection.type } },
    ]),
  );
  return { ...project, config: { ...project.config, gateways } };
}
