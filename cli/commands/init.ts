import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CliError, EXIT } from '../errors.ts';
import { type ScaffoldDialect, scaffoldFiles } from '../scaffold.ts';

export function registerInit(program: Command): void {
  program
    .command('init [dir]')
    .description(
      'scaffold a project (config, a seed, an incremental and a full model, an audit), like sqlmesh init',
    )
    .option('--dialect <dialect>', 'warehouse: duckdb or postgres', 'duckdb')
    .action((dir: string | undefined, options: { dialect: string }) => {
      if (options.dialect !== 'duckdb' && options.dialect !== 'postgres') {
        throw new CliError(`--dialect must be duckdb or postgres (got "${options.dialect}")`, EXIT.invalid);
      }
      const root = resolve(dir ?? '.');
      if (existsSync(join(root, 'config.yaml')) || existsSync(join(root, 'config.yml'))) {
        throw new CliError(
          `${root} already has a project (config.yaml); choose an empty folder`,
          EXIT.invalid,
        );
      }
      if (existsSync(join(root, 'models')) && readdirSync(join(root, 'models')).length > 0) {
        throw new CliError(`${root}/models is not empty; choose an empty folder`, EXIT.invalid);
      }
      const today = new Date().toISOString().slice(0, 10);
      const files = scaffoldFiles(options.dialect as ScaffoldDialect, today);
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(dirname(join(root, path)), { recursive: true });
        writeFileSync(join(root, path), text, { flag: 'wx' });
      }
      process.stdout.write(
        `Created a ${options.dialect} project in ${root}\nNext: sluice validate --project ${dir ?? '.'}, then sluice dev --project ${dir ?? '.'}\n`,
      );
    });
}
