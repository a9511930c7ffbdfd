/**
 * Reads a project's `config.yaml` (or `config.yml`) the way SQLMesh does: `gateways` with their
 * connections, `default_gateway` (the first gateway when not set), `model_defaults`, then the
 * `SQLMESH__...` and `SLUICE__...` environment variables on top. Sections SQLMesh has that sluice
 * does not use are reported as notices; everything wrong is reported with its file and line (or
 * the environment variable that set it).
 */

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Node as YamlNode } from 'yaml';
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { isValidTimeZone, validateCron } from '../cron.ts';
import { parseTtl, TtlError } from '../environment/ttl.ts';
import { INTERVAL_UNITS, isIntervalUnit } from '../interval-unit.ts';
import { parseTimeValue } from '../time.ts';
import type { Env } from './env-overrides.ts';
import { applyEnvOverrides, pathKey, readEnvOverrides } from './env-overrides.ts';
import type { ConfigTree, ConfigValue, Locate } from './gateways.ts';
import { isTree, readGateways } from './gateways.ts';
import type { Issues } from './issues.ts';
import { parseKind } from './kind.ts';
import { readSluiceSettings } from './sluice-settings.ts';
import type { ModelDefaults, ProjectConfig } from './types.ts';
import { ValueError, valueFromText } from './values.ts';

export const CONFIG_FILES = ['config.yaml', 'config.yml'] as const;

export const DIALECTS = ['duckdb', 'postgres'] as const;

/** Top-level keys sluice reads (`gateway` is SQLMesh's alias of `gateways`). */
const USED_KEYS = new Set([
  'gateways',
  'gateway',
  'default_gateway',
  'model_defaults',
  'default_connection',
  'sluice',
]);

/** Top-level SQLMesh keys whose behaviour sluice does not implement. */
const UNSUPPORTED_KEYS = new Set(['before_all', 'after_all']);

/** Top-level SQLMesh keys that change nothing sluice does. */
const IGNORED_KEYS = new Set([
  'cache_dir',
  'cicd_bot',
  'dbt',
  'default_scheduler',
  'default_target_environment',
  'default_test_connection',
  'disable_anonymized_analytics',
  'env_vars',
  'environment_catalog_mapping',
  'environment_suffix_target',
  'environment_ttl',
  'format',
  'gateway_managed_virtual_layer',
  'ignore_patterns',
  'infer_python_dependencies',
  'janitor',
  'linter',
  'loader',
  'loader_kwargs',
  'log_limit',
  'migration',
  'model_naming',
  'notification_targets',
  'physical_schema_mapping',
  'physical_schema_override',
  'physical_table_naming_convention',
  'pinned_environments',
  'plan',
  'project',
  'run',
  'snapshot_ttl',
  'time_column_format',
  'ui',
  'username',
  'users',
  'variables',
  'virtual_environment_mode',
]);

const DEFAULT_KEYS = new Set([
  'dialect',
  'kind',
  'cron',
  'cron_tz',
  'start',
  'interval_unit',
  'owner',
  'enabled',
  'gateway',
]);

/** `model_defaults` keys SQLMesh has that change nothing sluice does. */
const IGNORED_DEFAULT_KEYS = new Set([
  'table_format',
  'storage_format',
  'physical_properties',
  'virtual_properties',
  'session_properties',
  'optimize_query',
  'formatting',
  'on_destructive_change',
  'on_additive_change',
  'batch_concurrency',
]);

/** `model_defaults` keys SQLMesh has whose behaviour sluice does not implement. */
const UNSUPPORTED_DEFAULT_KEYS = new Set([
  'audits',
  'allow_partials',
  'pre_statements',
  'post_statements',
  'on_virtual_update',
]);

/**
 * Finds and reads the project's configuration file; returns undefined (with the problems in
 * `issues`) when there is none or it cannot be read at all.
 */
export function readConfig(root: string, env: Env, now: number, issues: Issues): ProjectConfig | undefined {
  const found = CONFIG_FILES.filter((name) => fs.existsSync(path.join(root, name)));
  if (fs.existsSync(path.join(root, 'config.py'))) {
    issues.error(
      'config.py',
      0,
      'config.py is not supported by sluice: write the configuration as config.yaml',
    );
    return undefined;
  }
  if (found.length === 0) {
    issues.error('config.yaml', 0, 'the project has no config.yaml');
    return undefined;
  }
  if (found.length > 1) {
    issues.error(found[1]!, 0, `the project has both ${found[0]} and ${found[1]}: keep one`);
    return undefined;
  }
  const file = found[0]!;
  return parseConfig(fs.readFileSync(path.join(root, file), 'utf8'), file, env, now, issues);
}

/** Reads configuration text (`file` is the name used in issues). */
export function parseConfig(
  text: string,
  file: string,
  env: Env,
  now: number,
  issues: Issues,
): ProjectConfig | undefined {
  const jinjaLine = text.split('\n').findIndex((line) => /\{\{|\{%/.test(line.replace(/(^|\s)#.*$/, '')));
  if (jinjaLine >= 0) {
    issues.error(
      file,
      jinjaLine + 1,
      'Jinja in config.yaml is not supported by sluice: set connection secrets with SLUICE__GATEWAYS__<GATEWAY>__CONNECTION__<KEY> environment variables where executors run',
    );
    return undefined;
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const yamlError = doc.errors[0];
  if (yamlError) {
    // Later YAML errors usually follow from the first one: report that one only.
    const line = lineCounter.linePos(yamlError.pos[0]).line;
    issues.error(
      file,
      line,
      `invalid YAML: ${yamlError.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
    );
    return undefined;
  }
  const raw = (doc.toJS() as ConfigValue | undefined) ?? {};
  if (!isTree(raw)) {
    issues.error(file, 1, `${file} must be a mapping of configuration keys`);
    return undefined;
  }
  const tree: ConfigTree = raw;

  // SQLMesh's alias `gateway:` for `gateways:`, and case-insensitive gateway names.
  const lines = new Map<string, number>();
  collectLines(doc.contents, [], lines, lineCounter);
  if (tree.gateway !== undefined && tree.gateways === undefined) {
    tree.gateways = tree.gateway;
    delete tree.gateway;
    for (const [key, line] of [...lines]) {
      if (key === 'gateway' || key.startsWith('gateway\u0000'))
        lines.set(`gateways${key.slice('gateway'.length)}`, line);
    }
  }
  if (isTree(tree.gateways)) {
    const lowered: ConfigTree = {};
    for (const [name, gateway] of Object.entries(tree.gateways)) {
      const lower = name.toLowerCase();
      if (lower in lowered) {
        issues.error(
          file,
          lines.get(pathKey(['gateways', name])) ?? 0,
          `gateway ${name} has the same name as another gateway (gateway names are case-insensitive)`,
          name,
        );
      }
      lowered[lower] = gateway;
      if (lower !== name) {
        for (const [key, line] of [...lines]) {
          const prefix = pathKey(['gateways', name]);
          if (key === prefix || key.startsWith(`${prefix}\u0000`)) {
            lines.set(pathKey(['gateways', lower]) + key.slice(prefix.length), line);
          }
        }
      }
    }
    tree.gateways = lowered;
  }

  const sources = applyEnvOverrides(tree, readEnvOverrides(env, issues));
  const locate: Locate = (p) => {
    const key = pathKey(p);
    const variable = sources.get(key);
    if (variable) return { file: `$${variable}`, line: 0 };
    const own = lines.get(key);
    if (own !== undefined) return { file, line: own };
    for (const [setKey, setBy] of sources) {
      if (setKey.startsWith(`${key}\u0000`)) return { file: `$${setBy}`, line: 0 };
    }
    for (let n = p.length - 1; n > 0; n--) {
      const line = lines.get(pathKey(p.slice(0, n)));
      if (line !== undefined) return { file, line };
    }
    return { file, line: 0 };
  };
  const at = (p: string[], message: string, text?: string) => {
    const where = locate(p);
    issues.error(where.file, where.line, message, text);
  };

  for (const key of Object.keys(tree)) {
    const where = locate([key]);
    if (USED_KEYS.has(key)) continue;
    if (UNSUPPORTED_KEYS.has(key)) at([key], `${key} is not supported by sluice`, key);
    else if (IGNORED_KEYS.has(key))
      issues.notice(where.file, where.line, `config section ${key} is ignored by sluice`);
    else at([key], `unknown configuration key '${key}'`, key);
  }

  const gateways = readGateways(tree.gateways, tree.default_connection, locate, issues);
  const gatewayNames = Object.keys(isTree(tree.gateways) ? tree.gateways : {});
  if (
    gatewayNames.length === 0 &&
    (isTree(tree.gateways) || tree.gateways === undefined || tree.gateways === null)
  ) {
    at(
      ['gateways'],
      'no gateways are defined (expected gateways: NAME: connection: { type: duckdb | postgres, ... })',
    );
  }

  let defaultGateway = gatewayNames[0] ?? '';
  const declaredDefault = tree.default_gateway;
  if (declaredDefault !== undefined && declaredDefault !== null && declaredDefault !== '') {
    const name = String(declaredDefault).toLowerCase();
    if (typeof declaredDefault !== 'string' || !gatewayNames.includes(name)) {
      at(
        ['default_gateway'],
        `default_gateway '${String(declaredDefault)}' is not a gateway of the project (gateways: ${gatewayNames.join(', ') || 'none'})`,
        String(declaredDefault),
      );
    } else {
      defaultGateway = name;
    }
  }

  const modelDefaults = readModelDefaults(tree.model_defaults, gatewayNames, now, locate, issues);
  const { ci, environmentTtlMs } = readSluiceSettings(tree.sluice, locate, issues);
  return {
    gateways,
    defaultGateway,
    modelDefaults,
    ...(ci === undefined ? {} : { ci }),
    ...(environmentTtlMs === undefined ? {} : { environmentTtlMs }),
  };
}

function readModelDefaults(
  value: ConfigValue | undefined,
  gatewayNames: string[],
  now: number,
  locate: Locate,
  issues: Issues,
): ModelDefaults {
  const at = (key: string | undefined, message: string, text?: string) => {
    const where = locate(key === undefined ? ['model_defaults'] : ['model_defaults', key]);
    issues.error(where.file, where.line, message, text);
  };
  const defaults: ModelDefaults = {};
  if (value !== undefined && value !== null && !isTree(value)) {
    at(undefined, 'model_defaults must be a mapping');
    return defaults;
  }
  const tree = value ?? {};
  for (const [key, item] of Object.entries(tree)) {
    if (IGNORED_DEFAULT_KEYS.has(key)) {
      const where = locate(['model_defaults', key]);
      issues.notice(where.file, where.line, `model_defaults.${key} is ignored by sluice`);
      continue;
    }
    if (UNSUPPORTED_DEFAULT_KEYS.has(key)) {
      at(key, `model_defaults.${key} is not supported by sluice`, key);
      continue;
    }
    if (!DEFAULT_KEYS.has(key)) {
      at(key, `'${key}' is not a valid model default configuration key`, key);
      continue;
    }
    if (item === null) continue;
    if (key === 'enabled') {
      const text = String(item).toLowerCase();
      if (typeof item === 'boolean') defaults.enabled = item;
      else if (text === 'true' || text === 'false') defaults.enabled = text === 'true';
      else at(key, 'model_defaults.enabled must be true or false', String(item));
      continue;
    }
    if (typeof item !== 'string' && typeof item !== 'number') {
      at(key, `model_defaults.${key} must be a single value`);
      continue;
    }
    const text = String(item);
    switch (key) {
      case 'dialect': {
        const dialect = text.toLowerCase();
        if ((DIALECTS as readonly string[]).includes(dialect)) defaults.dialect = dialect;
        else
          at(key, `dialect '${text}' is not supported by sluice (expected ${DIALECTS.join(' or ')})`, text);
        break;
      }
      case 'kind':
        try {
          parseKind(valueFromText(text, locate(['model_defaults', key]).line, 'model_defaults.kind'));
          defaults.kind = text;
        } catch (error) {
          if (!(error instanceof ValueError)) throw error;
          at(key, `model_defaults.kind: ${error.message}`, text);
        }
        break;
      case 'cron': {
        const problem = validateCron(text);
        if (problem) at(key, problem, text);
        else defaults.cron = text;
        break;
      }
      case 'cron_tz':
        if (isValidTimeZone(text)) defaults.cron_tz = text;
        else at(key, `unknown time zone '${text}'`, text);
        break;
      case 'start':
        try {
          parseTimeValue(typeof item === 'number' ? item : text, now);
          defaults.start = text;
        } catch (error) {
          at(key, `invalid start '${text}': ${(error as Error).message}`, text);
        }
        break;
      case 'interval_unit': {
        const unit = text.toLowerCase();
        if (isIntervalUnit(unit)) defaults.interval_unit = unit;
        else at(key, `unknown interval_unit '${text}' (expected ${INTERVAL_UNITS.join(', ')})`, text);
        break;
      }
      case 'owner':
        defaults.owner = text;
        break;
      case 'gateway': {
        const gateway = text.toLowerCase();
        if (gatewayNames.includes(gateway)) defaults.gateway = gateway;
        else at(key, `unknown gateway '${text}' (gateways: ${gatewayNames.join(', ') || 'none'})`, text);
        break;
      }
    }
  }
  if (defaults.dialect === undefined && !('dialect' in tree)) {
    at(
      undefined,
      'model_defaults.dialect is required: the SQL dialect models are written in (duckdb or postgres)',
    );
  }
  return defaults;
}

/** Records the line of every mapping key (and sequence item) under its configuration path. */
function collectLines(node: unknown, at: string[], lines: Map<string, number>, counter: LineCounter): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      const keyPath = [...at, key];
      const range = (pair.key as YamlNode | null)?.range;
      if (range) lines.set(pathKey(keyPath), counter.linePos(range[0]).line);
      collectLines(pair.value, keyPath, lines, counter);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, index) => {
      const range = (item as YamlNode | null)?.range;
      if (range) lines.set(pathKey([...at, String(index)]), counter.linePos(range[0]).line);
      collectLines(item, [...at, String(index)], lines, counter);
    });
  }
}
