import { Command } from 'commander';
import { registerValidate } from './commands/validate.ts';
import { reportAndExit } from './errors.ts';

const program = new Command()
  .name('sluice')
  .description('Self-hosted scheduler for SQL model projects (SQLMesh model format), built on Temporal')
  .version('0.1.0')
  .showHelpAfterError();

registerValidate(program);

program.parseAsync(process.argv).catch(reportAndExit);
