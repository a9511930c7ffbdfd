/**
 * The dashboard's browser code as one script and one stylesheet. `npm run build` writes them next to
 * the compiled server (dist/web/client/); run from the sources, they are bundled in memory with
 * esbuild on first use, so an edit to web/client/ shows on the next start without a build step.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface DashboardBundle {
  script: string;
  styles: string;
}

const SOURCES = fileURLToPath(new URL('./client/', import.meta.url));
const SCRIPT = new URL('./client/dashboard.js', import.meta.url);
const STYLES = new URL('./client/dashboard.css', import.meta.url);

/** Bundles `sources`/main.tsx (and the CSS it imports) with esbuild; the build names web/client/. */
export async function bundleDashboard(sources = SOURCES): Promise<DashboardBundle> {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: { dashboard: join(sources, 'main.tsx') },
    bundle: true,
    write: false,
    outdir: sources,
    format: 'esm',
    platform: 'browser',
    target: ['chrome120', 'firefox120', 'safari17'],
    jsx: 'automatic',
    jsxImportSource: 'hono/jsx/dom',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const script = result.outputFiles.find((f) => f.path.endsWith('.js'));
  const styles = result.outputFiles.find((f) => f.path.endsWith('.css'));
  if (!script || !styles) throw new Error('bundling web/client/main.tsx gave no script or no stylesheet');
  return { script: script.text, styles: styles.text };
}

/** Writes the bundle where a compiled server reads it (`npm run build`). */
export async function writeDashboard(bundle: DashboardBundle): Promise<void> {
  await writeFile(SCRIPT, bundle.script);
  await writeFile(STYLES, bundle.styles);
}

let loading: Promise<DashboardBundle> | undefined;

/** The built bundle when there is one beside this module, else a fresh one from the sources. */
export function loadDashboard(): Promise<DashboardBundle> {
  loading ??= (async () => {
    try {
      return { script: await readFile(SCRIPT, 'utf8'), styles: await readFile(STYLES, 'utf8') };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      return bundleDashboard();
    }
  })();
  loading.catch(() => {
    loading = undefined;
  });
  return loading;
}
