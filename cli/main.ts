import { Command } from 'commander';
import { loadSettingsReader, rejectingUsageErrors } from './api-options.ts';
import { exitQuietlyWhenReaderCloses } from './closed-pipe.ts';
import { registerApi } from './commands/api.ts';
import { registerApply } from './commands/apply.ts';
import { registerArtifacts } from './commands/artifacts.ts';
import { registerCancel } from './commands/cancel.ts';
import { registerCi } from './commands/ci.ts';
import { registerCodecServer } from './commands/codec-server.ts';
import { registerConnections } from './commands/connections.ts';
import { registerDev } from './commands/dev.ts';
import { registerEnvironments } from './commands/environments.ts';
import { registerExecutors } from './commands/executors.ts';
import { registerFetchdf } from './commands/fetchdf.ts';
import { registerInit } from './commands/init.ts';
import { registerJanitor } from './commands/janitor.ts';
import { registerLogs } from './commands/logs.ts';
import { registerNotifications } from './commands/notifications.ts';
import { registerPause } from './commands/pause.ts';
import { registerPauses } from './commands/pauses.ts';
import { registerPlan } from './commands/plan.ts';
import { registerRestate, registerRun } from './commands/run.ts';
import { registerRuns } from './commands/runs.ts';
import { registerSchedules } from './commands/schedules.ts';
import { registerStatus } from './commands/status.ts';
import { registerToken } from './commands/token.ts';
import { registerValidate } from './commands/validate.ts';
import { registerWorker } from './commands/worker.ts';
import { reportAndExit } from './errors.ts';

const program = new Command()
  .name('sluice')
  .description('Self-hosted scheduler for SQL model projects (SQLMesh model format), built on Temporal')
  .version('0.1.0')
  // what every command needs but `--help` does not is loaded once a command is about to run
  .hook('preAction', loadSettingsReader);

registerInit(program);
registerValidate(program);
registerWorker(program);
registerDev(program);
registerPlan(program);
registerApply(program);
registerCi(program);
registerRun(program);
registerRestate(program);
registerCancel(program);
registerPause(program);
registerPauses(program);
registerStatus(program);
registerEnvironments(program);
registerJanitor(program);
registerSchedules(program);
registerRuns(program);
registerLogs(program);
registerArtifacts(program);
registerFetchdf(program);
registerExecutors(program);
registerToken(program);
registerConnections(program);
registerNotifications(program);
registerApi(program);
registerCodecServer(program);

// every command, the program itself included, rejects bad usage with one line and exit code 2
const everyCommand = (command: Command): Command[] => [command, ...command.commands.flatMap(everyCommand)];
for (const command of everyCommand(program)) rejectingUsageErrors(command);
exitQuietlyWhenReaderCloses();
program.parseAsync(process.argv).catch(reportAndExit);
