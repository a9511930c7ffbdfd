/**
 * Consistency checks on a project received as JSON, reported as the loader reports them
 * (`file:line: message`), each at the model's own location. The shape is checked before this by the
 * zod schema; these are the rules a loaded project always satisfies, so a hand-made or tampered body
 * cannot reach the planner.
 */
import { isValidTimeZone, validateCron } from '../core/cron.ts';
import { Dag, DagCycleError } from '../core/dag.ts';
import { intervalUnitIssue } from '../core/interval-unit.ts';
import { findBuiltinAudit } from '../core/project/builtin-audits.ts';
import type { Model, Project, ProjectIssue } from '../core/project/types.ts';

export function checkProject(project: Project): ProjectIssue[] {
  const issues: ProjectIssue[] = [];
  const at = (model: Model, message: string, text?: string) =>
    issues.push({
      file: model.location.file,
      line: model.location.line,
      message,
      ...(text === undefined ? {} : { text }),
    });

  const gateways = Object.keys(project.config.gateways);
  if (!gateways.includes(project.config.defaultGateway)) {
    issues.push({
      file: 'config.yaml',
      line: 0,
      message: `default gateway '${project.config.defaultGateway}' is not one of the gateways (${gateways.join(', ') || 'none'})`,
    });
  }

  const seen = new Map<string, Model>();
  const position = new Map<string, number>();
  project.models.forEach((model, index) => {
    const first = seen.get(model.name);
    if (first) {
      at(model, `model ${model.name} is also defined in ${first.location.file}:${first.location.line}`);
    } else {
      seen.set(model.name, model);
      position.set(model.name, index);
    }
    if (model.name !== `${model.schema}.${model.table}`) {
      at(model, `model name must be schema.table (${model.schema}.${model.table})`, model.name);
    }
    const cron = validateCron(model.cron);
    if (cron) at(model, cron);
    else {
      const unit = intervalUnitIssue(model.cron, model.intervalUnit);
      if (unit) at(model, unit);
    }
    if (!isValidTimeZone(model.cronTz)) at(model, `unknown time zone '${model.cronTz}'`);
    const gateway = model.gateway ?? project.config.defaultGateway;
    if (!gateways.includes(gateway)) at(model, `unknown gateway '${gateway}'`);
    if (model.end && model.end.ms <= model.start.ms) {
      at(model, `end (${model.end.raw}) must be after start (${model.start.raw})`);
    }
    if (model.kind.name === 'SEED' && model.seed === undefined) {
      at(model, `seed model has no seed content (${model.kind.path})`);
    }
    for (const audit of model.audits) {
      if (!project.audits[audit.name] && !findBuiltinAudit(audit.name)) {
        at(model, `unknown audit '${audit.name}'`);
      }
    }
  });

  const dag = new Dag(Object.fromEntries([...seen.values()].map((m) => [m.name, m.dependsOn])));
  try {
    dag.topologicalOrder();
    for (const model of seen.values()) {
      const mine = position.get(model.name)!;
      for (const parent of dag.parents(model.name)) {
        if (position.get(parent)! > mine) {
          at(model, `models must come after the models they read: ${parent} is listed later`);
        }
      }
    }
  } catch (err) {
    if (!(err instanceof DagCycleError)) throw err;
    const first = seen.get(err.cycle[0] ?? '');
    if (first) at(first, err.message);
  }
  return issues.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
}
