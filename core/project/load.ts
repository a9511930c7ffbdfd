/**
 * Loads a SQLMesh-format project folder: config.yaml, models, audits and seeds. Every problem in
 * the project is collected in one pass; `loadProject` throws them all together as a
 * `ProjectError`, `inspectProject` returns them (for `sluice validate`). Things sluice ignores are
 * returned as notices.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import { previousTick } from '../cron.ts';
import { Dag } from '../dag.ts';
import type { AuditDefinition } from './audits.ts';
import { readAuditFile } from './audits.ts';
import { checkBuiltinArguments, findBuiltinAudit, isUnsupportedBuiltinAudit } from './builtin-audits.ts';
import { readConfig } from './config.ts';
import type { Env } from './env-overrides.ts';
import { Issues } from './issues.ts';
import type { ModelDraft } from './model.ts';
import { buildModel } from './model.ts';
import { readModelFile } from './model-file.ts';
import { firstPythonCodeLine, listFiles, pythonModelLine } from './project-files.ts';
import { findTableReferences } from './references.ts';
import type { Audit, Model, Project, ProjectIssue } from './types.ts';
import { ProjectError } from './types.ts';

export interface LoadOptions {
  /**
   * Environment for `SLUICE__...` / `SQLMESH__...` configuration overrides. Nothing is read from the
   * process environment unless it is passed here (scheduler-side callers should not pass
   * warehouse credentials).
   */
  env?: Env;
  /** reference time for relative starts (`'1 week ago'`) and inferred starts; defaults to now. */
  now?: number;
}

export interface ProjectInspection {
  /** the project, when it loaded without errors. */
  project?: Project;
  issues: ProjectIssue[];
  notices: string[];
}

/** Loads the project in `dir`; throws `ProjectError` with every problem found. */
export function loadProject(dir: string, options: LoadOptions = {}): Project {
  const inspection = inspectProject(dir, options);
  if (!inspection.project) throw new ProjectError(inspection.issues);
  return inspection.project;
}

/** Loads the project in `dir` and returns it with every problem and notice, never throwing for a bad project. */
export function inspectProject(dir: string, options: LoadOptions = {}): ProjectInspection {
  const root = path.resolve(dir);
  const issues = new Issues();
  if (!fs.existsSync(root) || !fs.statSync(root).isDirectory()) {
    issues.error(dir, 0, 'project folder not found');
    return { issues: issues.errors, notices: [] };
  }
  const now = options.now ?? Date.now();
  const config = readConfig(root, options.env ?? {}, now, issues);
  const audits = readAudits(root, issues);
  const drafts = readModels(root, config?.modelDefaults ?? {}, now, issues);
  reportIgnoredFolders(root, issues);

  const byName = uniqueModels(drafts, issues);
  const gatewayNames = config ? Object.keys(config.gateways) : undefined;
  for (const draft of byName.values()) {
    checkGateway(draft, gatewayNames, issues);
    checkAudits(draft, audits, issues);
    resolveDependencies(draft, byName, issues);
  }
  const order = orderModels(byName, issues);
  if (order) inferStarts(order, byName, now);

  const errors = [...issues.errors].sort((a, b) =>
    a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line,
  );
  if (errors.length > 0 || !config || !order) return { issues: errors, notices: issues.notices };
  const project: Project = {
    root,
    config,
    models: order.map((name) => byName.get(name)!.model),
    audits: Object.fromEntries([...audits].map(([name, def]): [string, Audit] => [name, def.audit])),
    notices: issues.notices,
  };
  return { project, issues: [], notices: issues.notices };
}

function readAudits(root: string, issues: Issues): Map<string, AuditDefinition> {
  const audits = new Map<string, AuditDefinition>();
  for (const file of listFiles(root, 'audits')) {
    if (!file.endsWith('.sql')) {
      issues.notice(file, 0, 'only .sql files are read from audits/; this file is ignored');
      continue;
    }
    for (const definition of readAuditFile(file, fs.readFileSync(path.join(root, file), 'utf8'), issues)) {
      const earlier = audits.get(definition.audit.name);
      if (earlier) {
        const first = earlier.audit.location;
        issues.error(
          file,
          definition.nameLine,
          `audit ${definition.audit.name} is defined twice: in ${first.file}:${first.line} and ${file}:${definition.nameLine}`,
          definition.audit.name,
        );
        continue;
      }
      audits.set(definition.audit.name, definition);
    }
  }
  return audits;
}

function readModels(
  root: string,
  defaults: Project['config']['modelDefaults'],
  now: number,
  issues: Issues,
): ModelDraft[] {
  const drafts: ModelDraft[] = [];
  for (const file of listFiles(root, 'models')) {
    const source = fs.readFileSync(path.join(root, file), 'utf8');
    if (file.endsWith('.py')) {
      const line = pythonModelLine(source);
      if (line !== undefined) issues.error(file, line, 'Python models are not supported by sluice');
      continue;
    }
    if (!file.endsWith('.sql')) {
      issues.notice(file, 0, 'only .sql files are read from models/; this file is ignored');
      continue;
    }
    const parsed = readModelFile(file, source, issues);
    if (!parsed) continue;
    const draft = buildModel(file, parsed, { root, defaults, now, issues });
    if (draft) drafts.push(draft);
  }
  return drafts;
}

function reportIgnoredFolders(root: string, issues: Issues): void {
  if (fs.existsSync(path.join(root, '.env'))) {
    issues.notice(
      '.env',
      0,
      'sluice does not read .env: give executors their settings as environment variables',
    );
  }
  for (const file of listFiles(root, 'macros')) {
    const source = fs.readFileSync(path.join(root, file), 'utf8');
    if (file.endsWith('.py') && firstPythonCodeLine(source) === undefined) continue;
    issues.notice(file, 0, 'macros are not supported by sluice: this file is ignored');
  }
  if (listFiles(root, 'tests').length > 0) {
    issues.notice('tests/', 0, 'SQLMesh unit tests are not run by sluice');
  }
}

/** Models by name; a name defined twice is reported (naming both files) and only the first is kept. */
function uniqueModels(drafts: ModelDraft[], issues: Issues): Map<string, ModelDraft> {
  const byName = new Map<string, ModelDraft>();
  for (const draft of drafts) {
    const { name, location } = draft.model;
    const earlier = byName.get(name);
    if (earlier) {
      const first = earlier.model.location;
      issues.error(
        location.file,
        location.line,
        `model ${name} is defined twice: in ${first.file}:${first.line} and ${location.file}:${location.line}`,
        name,
      );
      continue;
    }
    byName.set(name, draft);
  }
  return byName;
}

function checkGateway(draft: ModelDraft, gatewayNames: string[] | undefined, issues: Issues): void {
  const { gateway, location } = draft.model;
  if (gateway === undefined || gatewayNames === undefined || gatewayNames.includes(gateway)) return;
  issues.error(
    location.file,
    draft.lines.gateway ?? location.line,
    `unknown gateway '${gateway}' (gateways: ${gatewayNames.join(', ') || 'none'})`,
    gateway,
  );
}

function checkAudits(draft: ModelDraft, audits: Map<string, AuditDefinition>, issues: Issues): void {
  const { file } = draft.model.location;
  draft.model.audits.forEach((ref, i) => {
    const line = draft.lines.audits[i] ?? draft.model.location.line;
    const own = audits.get(ref.name);
    if (own) {
      const known = new Set([...own.parameters.map((p) => p.name), ...Object.keys(own.audit.defaults)]);
      for (const parameter of own.parameters) {
        if (!(parameter.name in ref.args)) {
          issues.error(
            file,
            line,
            `audit ${ref.name} needs argument ${parameter.name} := ... (used as @${parameter.name} in ${own.audit.location.file}:${parameter.line})`,
            ref.name,
          );
        }
      }
      for (const arg of Object.keys(ref.args)) {
        if (!known.has(arg)) issues.error(file, line, `audit ${ref.name} has no parameter '${arg}'`, arg);
      }
      return;
    }
    const builtin = findBuiltinAudit(ref.name);
    if (builtin) {
      const problem = checkBuiltinArguments(builtin.audit, ref.args);
      if (problem) issues.error(file, line, problem, ref.name);
    } else if (isUnsupportedBuiltinAudit(ref.name)) {
      issues.error(file, line, `built-in audit ${ref.name} is not supported by sluice`, ref.name);
    } else {
      issues.error(file, line, `unknown audit '${ref.name}'`, ref.name);
    }
  });
}

/** Sets `dependsOn` to the models the query reads plus the explicit `depends_on`. */
function resolveDependencies(draft: ModelDraft, byName: Map<string, ModelDraft>, issues: Issues): void {
  const { model } = draft;
  const { file } = model.location;
  const dependsOn = new Set<string>();
  for (const dependency of model.explicitDependsOn) {
    const line = draft.lines.dependsOn[dependency] ?? model.location.line;
    if (dependency === model.name) {
      issues.error(file, line, `model ${model.name} depends on itself`, dependency);
    } else if (!byName.has(dependency)) {
      issues.error(
        file,
        line,
        `depends_on names ${dependency}, which is not a model of the project`,
        dependency,
      );
    } else {
      dependsOn.add(dependency);
    }
  }
  const selfReported = new Set<number>();
  for (const reference of findTableReferences(draft.queryTokens)) {
    if (!byName.has(reference.name)) continue;
    if (reference.name === model.name) {
      if (!selfReported.has(reference.line)) {
        issues.error(file, reference.line, `model ${model.name} depends on itself`, reference.name);
        selfReported.add(reference.line);
      }
      continue;
    }
    dependsOn.add(reference.name);
  }
  model.dependsOn = [...dependsOn].sort();
}

/** Topological order of the models, or undefined after reporting every dependency cycle. */
function orderModels(byName: Map<string, ModelDraft>, issues: Issues): string[] | undefined {
  const parents = new Map([...byName].map(([name, draft]) => [name, [...draft.model.dependsOn]]));
  let dag = new Dag(parents);
  let cycles = 0;
  for (let cycle = dag.findCycle(); cycle; cycle = dag.findCycle()) {
    cycles++;
    const path = cycle
      .map((name, i) => {
        const { file, line } = byName.get(name)!.model.location;
        return i === cycle.length - 1 ? name : `${name} (${file}:${line})`;
      })
      .join(' -> ');
    const first = byName.get(cycle[0]!)!.model.location;
    issues.error(first.file, first.line, `dependency cycle: ${path}`);
    // Break this cycle's first edge and look for another one.
    const from = cycle[0]!;
    parents.set(
      from,
      parents.get(from)!.filter((p) => p !== cycle[1]),
    );
    dag = new Dag(parents);
  }
  return cycles > 0 ? undefined : dag.topologicalOrder();
}

/**
 * Models with no start anywhere (header or model_defaults) start where SQLMesh starts them: at the
 * earliest start of their parents, or, with no parents, at the cron tick before the latest one at
 * `now` (yesterday's midnight for a daily cron).
 */
function inferStarts(order: string[], byName: Map<string, ModelDraft>, now: number): void {
  for (const name of order) {
    const draft = byName.get(name)!;
    if (draft.startGiven) continue;
    const model: Model = draft.model;
    const parentStarts = model.dependsOn.map((parent) => byName.get(parent)!.model.start.ms);
    if (parentStarts.length > 0) {
      model.start = { raw: '', ms: Math.min(...parentStarts) };
      continue;
    }
    try {
      const floor = previousTick(model.cron, model.cronTz, now);
      model.start = { raw: '', ms: previousTick(model.cron, model.cronTz, floor - 1) };
    } catch {
      // An invalid cron or time zone has been reported already.
    }
  }
}
