/**
 * Workflow code runs in Temporal's deterministic sandbox, where Node's built-in modules are not
 * available. This walks the imports the workflow bundle follows (value imports, not `import type`)
 * from every file in workflows/ through our own modules, and fails naming the chain that reaches
 * a Node built-in, such as core/hash.ts's `node:crypto`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WORKFLOWS = resolve(ROOT, 'workflows');

function isBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || builtinModules.includes(specifier.split('/')[0]!);
}

function isTypeOnly(node: ts.ImportDeclaration | ts.ExportDeclaration): boolean {
  if (ts.isExportDeclaration(node)) {
    const clause = node.exportClause;
    if (node.isTypeOnly) return true;
    return clause !== undefined && ts.isNamedExports(clause) && allTypeOnly(clause.elements);
  }
  const clause = node.importClause;
  if (!clause) return false;
  if (clause.isTypeOnly) return true;
  const bindings = clause.namedBindings;
  return (
    clause.name === undefined &&
    bindings !== undefined &&
    ts.isNamedImports(bindings) &&
    allTypeOnly(bindings.elements)
  );
}

function allTypeOnly(elements: ts.NodeArray<ts.ImportSpecifier | ts.ExportSpecifier>): boolean {
  return elements.length > 0 && elements.every((element) => element.isTypeOnly);
}

/** The module specifiers a file imports at run time. */
function valueImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest);
  const out: string[] = [];
  for (const node of source.statements) {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && !isTypeOnly(node)) {
      const spec = node.moduleSpecifier;
      if (spec && ts.isStringLiteral(spec)) out.push(spec.text);
    }
  }
  return out;
}

/** Every Node built-in reachable from `entry`, each with the chain of files that reaches it. */
function builtinsReachableFrom(entry: string): string[] {
  const found: string[] = [];
  const seen = new Set<string>();
  const queue: { file: string; chain: string[] }[] = [{ file: entry, chain: [relative(ROOT, entry)] }];
  while (queue.length > 0) {
    const { file, chain } = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of valueImports(file)) {
      if (specifier.startsWith('.')) {
        const next = resolve(dirname(file), specifier);
        queue.push({ file: next, chain: [...chain, relative(ROOT, next)] });
      } else if (isBuiltin(specifier)) {
        found.push(`${chain.join(' -> ')} -> ${specifier}`);
      }
    }
  }
  return found;
}

describe('workflow imports', () => {
  const entries = readdirSync(WORKFLOWS)
    .filter((name) => name.endsWith('.ts'))
    .map((name) => resolve(WORKFLOWS, name));

  it('finds the workflow files', () => {
    expect(entries.map((file) => relative(ROOT, file))).toContain('workflows/index.ts');
  });

  it('reach no Node built-in module through our own code', () => {
    expect(entries.flatMap(builtinsReachableFrom)).toEqual([]);
  });

  it('would see a Node built-in that a core module imports', () => {
    expect(builtinsReachableFrom(resolve(ROOT, 'core/fingerprint.ts'))).toEqual([
      'core/fingerprint.ts -> core/hash.ts -> node:crypto',
    ]);
  });
});
