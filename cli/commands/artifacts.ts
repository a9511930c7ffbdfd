/**
 * `sluice artifacts <run> [path]`: the artifacts a run left (run_results.json, the SQL of every
 * batch), or a plan's with `--plan` (its summary too); with a path, that one file on stdout; with
 * `--out DIR`, every file written under DIR as the list names them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { ArtifactPathError, checkArtifactPath } from '../../core/artifacts/paths.ts';
import type { ArtifactList } from '../api-client.ts';
import { type ApiOptions, apiClient, print, printJson, withApiOptions } from '../api-options.ts';
import { CliError, EXIT } from '../errors.ts';
import { formatTable } from '../table.ts';

interface ArtifactsOptions extends ApiOptions {
  plan?: boolean;
  out?: string;
}

export function registerArtifacts(program: Command): void {
  withApiOptions(
    program
      .command('artifacts')
      .description("a run's artifacts (run_results.json, compiled SQL), or one of them")
      .argument('<run>', 'run id (a plan id with --plan)')
      .argument('[path]', 'print this artifact to stdout')
      .option('--plan', "the id is a plan's: its summary and its backfill's artifacts")
      .option('--out <dir>', 'download every artifact into this folder'),
  ).action(async (id: string, path: string | undefined, options: ArtifactsOptions) => {
    const kind = options.plan ? 'plan' : 'run';
    if (path !== undefined && options.out !== undefined) {
      throw new CliError('give either a path to print or --out to download them all, not both', EXIT.invalid);
    }
    if (path !== undefined) checked(path);
    const client = apiClient(options);
    if (path !== undefined) {
      const body = await client.artifact(kind, id, path);
      process.stdout.write(body);
      return;
    }
    const list = await client.artifacts(kind, id);
    if (options.out !== undefined) {
      const root = resolve(options.out);
      for (const item of list.items) {
        const file = resolve(root, checked(item.path));
        await mkdir(dirname(file), { recursive: true });
        await writeFile(file, await client.artifact(kind, id, item.path));
      }
      if (options.json) return printJson({ ...list, out: root });
      print(
        `${list.items.length} artifact${list.items.length === 1 ? '' : 's'} of ${kind} ${id} written to ${root}`,
      );
      return;
    }
    if (options.json) return printJson(list);
    print(describe(list));
  });
}

function checked(path: string): string {
  try {
    return checkArtifactPath(path);
  } catch (error) {
    if (error instanceof ArtifactPathError) throw new CliError(error.message, EXIT.invalid);
    throw error;
  }
}

function describe(list: ArtifactList): string {
  if (list.items.length === 0)
    return `${list.kind === 'run' ? 'Run' : 'Plan'} ${list.id} has no artifacts (yet)`;
  return formatTable(
    ['PATH', 'SIZE', 'WRITTEN (UTC)'],
    list.items.map((item) => [
      item.path,
      String(item.size),
      item.lastModified.replace('T', ' ').replace(/\.\d+Z$/, ''),
    ]),
  );
}
