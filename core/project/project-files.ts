/**
 * Lists the files of a project folder that the loader reads or reports on. Hidden files and
 * folders (`.gitkeep`, `.cache`) and Python caches are skipped.
 */

import * as fs from 'node:fs';
import * as path from 'node:path';

/** Every file under `root/dir`, as sorted project-relative paths with `/` separators. */
export function listFiles(root: string, dir: string): string[] {
  const found: string[] = [];
  const walk = (relative: string) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(path.join(root, relative), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === '__pycache__') continue;
      const child = `${relative}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else if (entry.isFile()) found.push(child);
    }
  };
  walk(dir);
  return found.sort();
}

/** 1-based line of the first line of Python code (not blank, not a comment), or undefined. */
export function firstPythonCodeLine(source: string): number | undefined {
  const index = source.split('\n').findIndex((line) => {
    const text = line.trim();
    return text !== '' && !text.startsWith('#');
  });
  return index < 0 ? undefined : index + 1;
}

/** 1-based line of a SQLMesh Python model's `@model(` decorator, or of its first code line. */
export function pythonModelLine(source: string): number | undefined {
  const index = source.split('\n').findIndex((line) => /^\s*@model\b/.test(line));
  return index < 0 ? firstPythonCodeLine(source) : index + 1;
}
