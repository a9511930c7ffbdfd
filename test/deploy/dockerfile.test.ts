/**
 * The Dockerfile, checked without a Docker engine: its structure (a deps stage with
 * `npm ci --omit=dev`, a build stage running `npm run build`, a slim Debian final stage running as a
 * fixed non-root uid, the sluice entrypoint), every COPY source existing and not excluded by
 * .dockerignore, and the image holding what runs: every file the CLI and the workflow bundle import
 * reaches the build, its output (dist/) reaches the image beside bin/, and every package they import
 * at run time is a production dependency (so `npm ci --omit=dev` suffices).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IJob } from 'kubernetes-models/batch/v1/Job';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, readManifests, readYamlDocuments } from './support/manifests.ts';

interface Instruction {
  keyword: string;
  args: string;
  /** index of the build stage (FROM) it belongs to. */
  stage: number;
}

/** The Dockerfile's instructions, continuation lines joined and comments dropped. */
function instructions(): Instruction[] {
  const text = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
  const logical = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  let stage = -1;
  return logical.map((line) => {
    const [keyword, ...rest] = line.split(/\s+/);
    if (keyword!.toUpperCase() === 'FROM') stage++;
    return { keyword: keyword!.toUpperCase(), args: rest.join(' '), stage };
  });
}

const steps = instructions();
const finalStage = Math.max(...steps.map((s) => s.stage));
const inFinal = (keyword: string) => steps.filter((s) => s.stage === finalStage && s.keyword === keyword);

/** COPY sources of a stage (the final one by default) taken from the build context (not from another stage). */
function contextCopies(stage = finalStage): Array<{ sources: string[]; destination: string }> {
  return steps
    .filter((s) => s.stage === stage && s.keyword === 'COPY' && !s.args.startsWith('--from='))
    .map((s) => {
      const parts = s.args.split(/\s+/).filter((p) => !p.startsWith('--'));
      return { sources: parts.slice(0, -1), destination: parts.at(-1)! };
    });
}

/** .dockerignore patterns as anchored regular expressions (Docker matches from the context root). */
function ignorePatterns(): Array<{ pattern: string; negated: boolean; regex: RegExp }> {
  return readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negated = line.startsWith('!');
      const pattern = negated ? line.slice(1) : line;
      const body = pattern
        .replace(/[.+^${}()|[\]]/g, '\\$&')
        .replace(/\*\*\//g, '\u0000')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]')
        .replaceAll('\u0000', '(?:.*/)?');
      return { pattern: line, negated, regex: new RegExp(`^${body}$`) };
    });
}

/** Whether .dockerignore leaves `path` (or a folder above it) out of the build context. */
function ignored(path: string): boolean {
  const parts = path.split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let excluded = false;
  for (const { negated, regex } of ignorePatterns()) {
    if (candidates.some((candidate) => regex.test(candidate))) excluded = !negated;
  }
  return excluded;
}

function filesUnder(path: string): string[] {
  const absolute = join(REPO_ROOT, path);
  if (!statSync(absolute).isDirectory()) return [path];
  return readdirSync(absolute).flatMap((name) => filesUnder(join(path, name)));
}

interface Imports {
  /** repository files reached through relative imports, relative to the repository root. */
  files: Set<string>;
  /** packages imported for their values (type-only imports are erased and need nothing at run time). */
  packages: Map<string, string>;
}

/** Follows value imports (static, re-exports and `import()`) from `entries` through the repository. */
function importClosure(entries: string[]): Imports {
  const files = new Set<string>();
  const packages = new Map<string, string>();
  const queue = [...entries];
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    const source = ts.createSourceFile(
      file,
      readFileSync(join(REPO_ROOT, file), 'utf8'),
      ts.ScriptTarget.ES2022,
      true,
    );
    const found: string[] = [];
    const visit = (node: ts.Node) => {
      if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly) {
        const named = node.importClause?.namedBindings;
        const onlyTypes =
          node.importClause !== undefined &&
          node.importClause.name === undefined &&
          named !== undefined &&
          ts.isNamedImports(named) &&
          named.elements.length > 0 &&
          named.elements.every((e) => e.isTypeOnly);
        if (!onlyTypes) found.push((node.moduleSpecifier as ts.StringLiteral).text);
      } else if (ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier !== undefined) {
        found.push((node.moduleSpecifier as ts.StringLiteral).text);
      } else if (
        ts.isCallExpression(node) &&
        node.expression.kind === ts.SyntaxKind.ImportKeyword &&
        node.arguments[0] !== undefined &&
        ts.isStringLiteral(node.arguments[0])
      ) {
        found.push(node.arguments[0].text);
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    for (const specifier of found) {
      if (specifier.startsWith('.')) {
        queue.push(relative(REPO_ROOT, resolve(REPO_ROOT, dirname(file), specifier)));
      } else if (!specifier.startsWith('node:')) {
        const name = specifier.startsWith('@')
          ? specifier.split('/').slice(0, 2).join('/')
          : specifier.split('/')[0]!;
        if (!packages.has(name)) packages.set(name, file);
      }
    }
  }
  return { files, packages };
}

describe('Dockerfile', () => {
  it('installs production dependencies in a deps stage, compiles in a build stage, and runs them on slim Debian as a fixed non-root user', () => {
    const from = steps.filter((s) => s.keyword === 'FROM');
    expect(from).toHaveLength(3);
    const arg = steps.find((s) => s.keyword === 'ARG' && s.args.startsWith('NODE_IMAGE='));
    expect(arg?.args).toBe('NODE_IMAGE=node:20-bookworm-slim');
    expect(from[0]!.args).toMatch(/^\$\{NODE_IMAGE\} AS deps$/);
    expect(from[1]!.args).toMatch(/^\$\{NODE_IMAGE\} AS build$/);
    expect(from[2]!.args).toMatch(/^\$\{NODE_IMAGE\}$/);
    const install = steps.filter((s) => s.stage === 0 && s.keyword === 'RUN').map((s) => s.args);
    expect(install.join(' ')).toMatch(/npm ci --omit=dev/);
    const build = steps.filter((s) => s.stage === 1 && s.keyword === 'RUN').map((s) => s.args);
    expect(build).toEqual(['npm ci --no-audit --no-fund', 'npm run build']);
    expect(inFinal('COPY').map((s) => s.args)).toContain('--from=deps /app/node_modules ./node_modules');
    expect(inFinal('COPY').map((s) => s.args)).toContain('--from=build /app/dist ./dist');
    // the final stage installs nothing from npm: only what the deps stage resolved from the lock file
    expect(
      inFinal('RUN')
        .map((s) => s.args)
        .join(' '),
    ).not.toMatch(/\bnpm\b/);
    expect(inFinal('WORKDIR').map((s) => s.args)).toEqual(['/app']);
    const user = inFinal('USER').map((s) => s.args);
    expect(user).toEqual(['10001:10001']);
    expect(
      inFinal('RUN')
        .map((s) => s.args)
        .join(' '),
    ).toMatch(/useradd --system --uid 10001 --gid sluice/);
    expect(inFinal('ENTRYPOINT').map((s) => JSON.parse(s.args))).toEqual([['node', 'bin/sluice.js']]);
    expect(inFinal('CMD').map((s) => JSON.parse(s.args))).toEqual([['--help']]);
    // roles differ: each service gets its own check (docker-compose.yml, deploy/kubernetes)
    expect(steps.filter((s) => s.keyword === 'HEALTHCHECK')).toEqual([]);
  });

  it('runs as the uid the Kubernetes pods require', () => {
    for (const { file, object } of readManifests()) {
      if (object.kind !== 'Deployment' && object.kind !== 'Job') continue;
      const pod = (object as unknown as IDeployment | IJob).spec!.template.spec!;
      expect(pod.securityContext?.runAsUser, file).toBe(10001);
    }
  });

  it('copies only sources that exist and that .dockerignore sends to the builder', () => {
    const copies = [...contextCopies(1), ...contextCopies()];
    expect(copies.length).toBeGreaterThan(0);
    for (const { sources } of copies) {
      for (const source of sources) {
        expect(() => statSync(join(REPO_ROOT, source)), source).not.toThrow();
        for (const file of filesUnder(source))
          expect(ignored(file), `${file} is excluded by .dockerignore`).toBe(false);
      }
    }
    // and the patterns do keep out what must not reach the builder
    for (const path of [
      'node_modules/x',
      '.tools/temporal/bin/temporal',
      '.git/HEAD',
      'deploy/compose.env',
      'test/setup.ts',
      '.env',
    ]) {
      expect(ignored(path), path).toBe(true);
    }
  });

  it('builds every file the CLI and the workflow bundle import, and needs no dev dependency at run time', () => {
    const within = (copied: string[], file: string) =>
      copied.some((source) => file === source || file.startsWith(`${source}/`));
    const built = contextCopies(1).flatMap((c) => c.sources);
    const { files, packages } = importClosure(['bin/sluice.js', 'cli/main.ts', 'workflows/index.ts']);
    expect(files.size).toBeGreaterThan(50);
    for (const file of files)
      expect(within(built, file), `${file} is imported but not copied into the build stage`).toBe(true);
    // what npm run build reads, and what runs the build in the image
    const buildConfig = JSON.parse(readFileSync(join(REPO_ROOT, 'tsconfig.build.json'), 'utf8')) as {
      include: string[];
    };
    for (const input of ['scripts/build.mjs', 'tsconfig.json', 'tsconfig.build.json', ...buildConfig.include])
      expect(built, input).toContain(input);
    expect(
      contextCopies()
        .flatMap((c) => c.sources)
        .sort(),
    ).toEqual(['bin', 'deploy/bootstrap-admin-token.sh', 'package.json']);
    // what `npm ci --omit=dev` installs where Node looks first (/app/node_modules/<name>): the lock
    // file's top-level packages that are not marked dev-only
    const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean; devOptional?: boolean }>;
    };
    const production = (name: string) => {
      const entry = lock.packages[`node_modules/${name}`];
      return entry !== undefined && entry.dev !== true && entry.devOptional !== true;
    };
    expect(packages.has('tsx')).toBe(true);
    for (const [name, importer] of packages) {
      expect(production(name), `${importer} imports ${name}, which npm ci --omit=dev does not install`).toBe(
        true,
      );
    }
    expect(production('vitest'), 'a dev-only package counts as missing').toBe(false);
  });

  it('contains the scripts the Compose file and the Kubernetes Job run', () => {
    const copied = contextCopies().flatMap((c) => c.sources);
    const [compose] = readYamlDocuments(join(REPO_ROOT, 'docker-compose.yml')) as Array<{
      services: Record<string, { entrypoint?: string[] }>;
    }>;
    const job = readManifests().find((m) => m.object.kind === 'Job')!.object as unknown as IJob;
    const scripts = [
      compose!.services['sluice-bootstrap']!.entrypoint![1]!,
      job.spec!.template.spec!.containers[0]!.command![1]!,
    ];
    for (const script of scripts) expect(copied, script).toContain(script);
  });
});
