/**
 * The project a plan is computed from, as the state database keeps it: everything an apply and the
 * environment's scheduled runs render (models, audits, the default gateway), and of each gateway
 * only its type. Connection settings (hosts, users, passwords, tokens) never reach the state
 * database; they live with the executors.
 */
import type { Project } from '../../core/project/types.ts';

export function storableProject(project: Project): Project {
  const gateways = Object.fromEntries(
    Object.entries(project.config.gateways).map(([name, gateway]) => [
      name,
      { connection: { type: gateway.connection.type } },
    ]),
  );
  return { ...project, config: { ...project.config, gateways } };
}

/** The stored project of plan `planId`, checked to have the shape `storableProject` writes. */
export function readStoredProject(value: unknown, planId: string): Project {
  const project = value as Partial<Project> | null;
  const problem =
    project === null || typeof project !== 'object' || Array.isArray(project)
      ? 'is not an object'
      : !Array.isArray(project.models)
        ? 'has no list of models'
        : project.audits === null || typeof project.audits !== 'object'
          ? 'has no audits'
          : typeof project.config?.defaultGateway !== 'string'
            ? 'has no default gateway'
            : null;
  if (problem !== null) throw new Error(`the project stored with plan "${planId}" ${problem}`);
  return project as Project;
}
