/**
 * The folder of sluice's package.json, found from this file's own location: the same answer whether
 * the code runs from its TypeScript sources (`workers/`) or from the compiled build (`dist/workers/`),
 * so files outside the compiled code (package.json, the `.tools/` of `npm run setup`) are found from both.
 */
import { existsSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(import.meta.url);

/** `.ts` when running the sources, `.js` when running the build: the extension of sibling modules. */
export const MODULE_EXTENSION = extname(HERE);

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${start}`);
  }
}

export const PACKAGE_ROOT = findPackageRoot(dirname(HERE));
