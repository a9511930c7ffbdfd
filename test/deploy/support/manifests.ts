/**
 * Reading the deployment files the tests check: the Kubernetes manifests under deploy/kubernetes/
 * (every YAML document of every file) and simple `KEY=value` env files such as
 * deploy/compose.env.example.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const KUBERNETES_DIR = join(REPO_ROOT, 'deploy', 'kubernetes');

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export interface Manifest {
  /** path relative to deploy/kubernetes/. */
  file: string;
  object: KubernetesObject;
}

/** Every `.yaml` file under `dir`, relative to it, sorted. */
export function yamlFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (folder: string) => {
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.yaml') || name.endsWith('.yml')) found.push(relative(dir, path));
    }
  };
  walk(dir);
  return found;
}

/** Parses a YAML file's documents; a syntax error fails with the file's name. */
export function readYamlDocuments(path: string): unknown[] {
  const documents = parseAllDocuments(readFileSync(path, 'utf8'));
  const list = Array.isArray(documents) ? documents : [documents];
  return list.flatMap((document) => {
    if (document.errors.length > 0) {
      throw new Error(`${path}: not valid YAML: ${document.errors.map((e) => e.message).join('; ')}`);
    }
    const value: unknown = document.toJS();
    return value === null || value === undefined ? [] : [value];
  });
}

/** Every Kubernetes object in deploy/kubernetes/ except the kustomization itself. */
export function readManifests(): Manifest[] {
  return yamlFiles(KUBERNETES_DIR)
    .filter((file) => file !== 'kustomization.yaml')
    .flatMap((file) =>
      readYamlDocuments(join(KUBERNETES_DIR, file)).map((object) => ({
        file,
        object: object as KubernetesObject,
      })),
    );
}

/** `KEY=value` lines; blank lines and `#` comments are skipped. */
export function readEnvFile(path: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const equals = trimmed.indexOf('=');
    if (equals < 1) throw new Error(`${path}: expected KEY=value, got ${JSON.stringify(trimmed)}`);
    values[trimmed.slice(0, equals)] = trimmed.slice(equals + 1);
  }
  return values;
}
