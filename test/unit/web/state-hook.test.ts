/**
 * Every component of the dashboard takes its state from web/client/hooks.ts, whose setter does
 * nothing once the component is gone; hono/jsx/dom's own would draw a removed page again.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const CLIENT = fileURLToPath(new URL('../../../web/client/', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return /\.tsx?$/.test(name) ? [path] : [];
  });
}

/** The names a file imports from hono/jsx/dom. */
function honoDomImports(text: string): string[] {
  return [...text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'hono\/jsx\/dom'/g)].flatMap((m) =>
    m[1]!.split(',').map((name) => name.trim().split(/\s+as\s+/)[0]!),
  );
}

describe("the dashboard's state hook", () => {
  it('is the only useState any component uses', () => {
    const offenders = sources(CLIENT)
      .filter((path) => !path.endsWith('hooks.ts'))
      .filter((path) => honoDomImports(readFileSync(path, 'utf8')).includes('useState'))
      .map((path) => relative(CLIENT, path));
    expect(offenders).toEqual([]);
  });

  it('finds an import of hono/jsx/dom useState when there is one', () => {
    expect(honoDomImports("import { useEffect, useState } from 'hono/jsx/dom';")).toContain('useState');
    expect(honoDomImports("import { useState as s } from 'hono/jsx/dom';")).toContain('useState');
    expect(honoDomImports("import { useState } from '../hooks.ts';")).toEqual([]);
  });
});
