#!/usr/bin/env node
// The `sluice` command. Runs the compiled build (dist/, `npm run build`) when it is up to date with
// the sources, and the TypeScript sources through tsx's loader otherwise, so it never runs stale code.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildFreshness, COMPILED_CLI } from './fresh-build.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const build = buildFreshness(root);
if (build.fresh) {
  await import(pathToFileURL(join(root, COMPILED_CLI)).href);
} else {
  // someone editing the code at a terminal learns why the command is slower; scripts and pipes see nothing
  if (process.stderr.isTTY && build.built) {
    process.stderr.write(`sluice: running the sources through tsx: ${build.reason} (npm run build)\n`);
  }
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
}
