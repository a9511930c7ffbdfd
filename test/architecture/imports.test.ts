/**
 * The layers of ARCHITECTURE.md, enforced: every import of every source file is checked against
 * the "may import" column of its folder's row, read from ARCHITECTURE.md itself so the document
 * and the rule cannot drift apart.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

interface Allowance {
  /** a folder (`core/`) or a file (`activities/contracts.ts`), relative to the project. */
  target: string;
  typesOnly: boolean;
}

interface Layer {
  folder: string;
  everything: boolean;
  allowed: Allowance[];
}

function readLayers(markdown: string): Layer[] {
  const table = /<!-- layers:start -->([\s\S]*?)<!-- layers:end -->/.exec(markdown)?.[1];
  if (!table)
    throw new Error('ARCHITECTURE.md has no table between <!-- layers:start --> and <!-- layers:end -->');
  const rows = table
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => line.split('|').map((cell) => cell.trim()));
  return rows.map((cells) => {
    const folder = /^`([^`]+)\/`$/.exec(cells[1] ?? '')?.[1];
    const mayImport = cells[3] ?? '';
    if (!folder)
      throw new Error(`ARCHITECTURE.md: a layer row does not start with a folder: ${cells.join('|')}`);
    return {
      folder,
      everything: mayImport === 'everything',
      allowed: [...mayImport.matchAll(/`([^`]+)`( \(types\))?/g)].map((m) => ({
        target: m[1]!,
        typesOnly: m[2] !== undefined,
      })),
    };
  });
}

function sourceFiles(folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (name === 'node_modules') continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(ts|mts|tsx)$/.test(name)) out.push(path);
    }
  };
  if (existsSync(join(ROOT, folder))) walk(join(ROOT, folder));
  return out;
}

interface Import {
  specifier: string;
  typeOnly: boolean;
  line: number;
}

/** Every import, re-export and dynamic import of a file, with whether it brings in only types. */
function importsOf(path: string): Import[] {
  const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: Import[] = [];
  const lineOf = (node: ts.Node) => source.getLineAndCharacterOfPosition(node.getStart()).line + 1;
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const typeOnly =
        clause !== undefined &&
        (clause.isTypeOnly ||
          (clause.name === undefined &&
            clause.namedBindings !== undefined &&
            ts.isNamedImports(clause.namedBindings) &&
            clause.namedBindings.elements.length > 0 &&
            clause.namedBindings.elements.every((e) => e.isTypeOnly)));
      found.push({ specifier: node.moduleSpecifier.text, typeOnly, line: lineOf(node) });
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly, line: lineOf(node) });
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      found.push({ specifier: node.arguments[0].text, typeOnly: false, line: lineOf(node) });
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      found.push({ specifier: node.argument.literal.text, typeOnly: true, line: lineOf(node) });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The project-relative path an import points at, or null for a package. */
function target(from: string, specifier: string): string | null {
  if (!specifier.startsWith('.')) return null;
  return relative(ROOT, resolve(dirname(from), specifier))
    .split('\\')
    .join('/');
}

function permits(layer: Layer, to: string, typeOnly: boolean): boolean {
  if (layer.everything || to.startsWith(`${layer.folder}/`)) return true;
  return layer.allowed.some(
    (a) => (a.target.endsWith('/') ? to.startsWith(a.target) : to === a.target) && (typeOnly || !a.typesOnly),
  );
}

function violations(layers: Layer[]): string[] {
  const topFolders = new Set(layers.map((l) => l.folder));
  const found: string[] = [];
  for (const layer of layers) {
    for (const file of sourceFiles(layer.folder)) {
      for (const imp of importsOf(file)) {
        const to = target(file, imp.specifier);
        if (to === null) continue;
        const top = to.split('/')[0]!;
        if (!topFolders.has(top) && to.includes('/')) {
          found.push(
            `${relative(ROOT, file)}:${imp.line} imports ${to}, which is in no layer of ARCHITECTURE.md`,
          );
        } else if (!permits(layer, to, imp.typeOnly)) {
          found.push(
            `${relative(ROOT, file)}:${imp.line} imports ${to}${imp.typeOnly ? ' (types)' : ''}; ${layer.folder}/ may not (ARCHITECTURE.md)`,
          );
        }
      }
    }
  }
  return found;
}

const layers = readLayers(readFileSync(join(ROOT, 'ARCHITECTURE.md'), 'utf8'));

describe('the layers of ARCHITECTURE.md', () => {
  it('name folders that exist', () => {
    expect(layers.map((l) => l.folder).filter((folder) => !existsSync(join(ROOT, folder)))).toEqual([]);
  });

  it('name every top-level source folder', () => {
    const named = new Set(layers.map((l) => l.folder));
    const withSources = readdirSync(ROOT).filter(
      (name) =>
        !name.startsWith('.') &&
        name !== 'node_modules' &&
        statSync(join(ROOT, name)).isDirectory() &&
        sourceFiles(name).length > 0,
    );
    expect(
      withSources.filter((folder) => !named.has(folder) && folder !== 'examples' && folder !== 'scripts'),
    ).toEqual([]);
  });

  it('are compiled by npm run build, all but the tests, the benchmarks and bin/ (which runs the build)', () => {
    const build = JSON.parse(readFileSync(join(ROOT, 'tsconfig.build.json'), 'utf8')) as {
      include: string[];
    };
    const runtime = layers.map((l) => l.folder).filter((f) => !['test', 'bench', 'bin'].includes(f));
    expect(runtime.filter((folder) => !build.include.includes(folder))).toEqual([]);
  });

  it('hold for every import of every source file', () => {
    expect(violations(layers)).toEqual([]);
  });

  it('catch an import across a layer, and allow a type-only one where the table says so', () => {
    const core = layers.find((l) => l.folder === 'core')!;
    const workflows = layers.find((l) => l.folder === 'workflows')!;
    expect(permits(core, 'state/runs.ts', false)).toBe(false);
    expect(permits(core, 'core/dag.ts', false)).toBe(true);
    expect(permits(workflows, 'activities/contracts.ts', false)).toBe(true);
    expect(permits(workflows, 'activities/scheduler/index.ts', false)).toBe(false);
    expect(permits(workflows, 'crypto/sealed.ts', true)).toBe(true);
    expect(permits(workflows, 'crypto/sealed.ts', false)).toBe(false);
  });

  it('read type-only imports as such', () => {
    const file = join(ROOT, 'workflows/test-connection.ts');
    const sealed = importsOf(file).find((i) => i.specifier.endsWith('crypto/sealed.ts'));
    expect(sealed?.typeOnly).toBe(true);
  });
});
