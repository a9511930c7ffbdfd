#!/usr/bin/env node
// `npm run build`: compiles the sources named in tsconfig.build.json to JavaScript in dist/ (relative
// `.ts` imports become `.js`), copies the files the code reads next to itself at run time (SQL
// migrations, the failure converter), bundles the dashboard's browser code, and writes the stamp bin/sluice.js checks before it runs the
// build instead of the sources. Type checking is `npm run typecheck`'s job; this only emits.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUILD_STAMP } from '../bin/fresh-build.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CONFIG = 'tsconfig.build.json';
const OUT = 'dist';

// the sources' modification times are compared with the start, so an edit made during the build counts as newer
const startedAt = Date.now();
const config = JSON.parse(readFileSync(join(root, CONFIG), 'utf8'));
const folders = config.include;
if (!Array.isArray(folders) || folders.some((f) => typeof f !== 'string')) {
  console.error(`${CONFIG}: "include" must be a list of folders`);
  process.exit(2);
}

rmSync(join(root, OUT), { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const compiled = spawnSync(process.execPath, [tsc, '-p', CONFIG], { cwd: root, stdio: 'inherit' });
if (compiled.status !== 0) {
  console.error(`npm run build: tsc -p ${CONFIG} failed (exit ${compiled.status ?? compiled.signal})`);
  process.exit(1);
}

const excluded = new Set(config.exclude ?? []);

/** Every file under `folder` that is not TypeScript: what the compiled code reads from beside itself. */
function assets(folder) {
  return readdirSync(join(root, folder)).flatMap((name) => {
    const path = join(folder, name);
    if (excluded.has(path)) return [];
    if (statSync(join(root, path)).isDirectory()) return assets(path);
    return name.endsWith('.ts') ? [] : [path];
  });
}
const copied = folders.flatMap(assets);
for (const file of copied) cpSync(join(root, file), join(root, OUT, file));

// the dashboard's browser code (web/client/, excluded from tsc above) as one script and stylesheet
const { bundleDashboard, writeDashboard } = await import(join(root, OUT, 'web', 'bundle.js'));
mkdirSync(join(root, OUT, 'web', 'client'), { recursive: true });
await writeDashboard(await bundleDashboard(join(root, 'web', 'client')));

const inputs = [...folders, CONFIG, 'tsconfig.json'];
writeFileSync(join(root, BUILD_STAMP), `${JSON.stringify({ startedAt, inputs }, null, 2)}\n`);
console.log(`Built ${OUT}/ from ${folders.join(', ')} (${copied.length} files copied as they are)`);
