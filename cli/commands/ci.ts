/**
 * `sluice ci plan --pr <n>`: plans the project into pull request n's environment (`pr_<n>`), waits
 * until it is applied, and prints the summary as Markdown for a pull request comment (or `--json`).
 * Exit 0 applied with no blocking audit failure, 1 failed, 2 rejected (the plan was refused: an
 * invalid project, a token that may not reach the environment, ...). A refusal prints its summary
 * too, so the comment says why.
 * `sluice ci close --pr <n>`: deletes that environment and waits for the deletion to end.
 */
import type { Command } from 'commander';
import { ciMarkdown } from '../../core/ci/markdown.ts';
import { pullRequestEnvironment, pullRequestProblem } from '../../core/ci/pull-request.ts';
import { ciSummary } from '../../core/ci/summary.ts';
import type { ApiClient } from '../api-client.ts';
import { type ApiOptions, apiClient, cliConfig, print, printJson, withApiOptions } from '../api-options.ts';
import { CliError, EXIT } from '../errors.ts';
import { checkEnvironmentArgument } from '../input-checks.ts';
import { waitForPlan } from '../plan-progress.ts';
import { describeDeletion, untilClosed } from './environments.ts';

interface CiPlanOptions extends ApiOptions {
  pr: string;
  project: string;
  base?: string;
  ttl?: string;
}

interface CiCloseOptions extends ApiOptions {
  pr: string;
  wait: boolean;
}

function pullRequest(text: string): string {
  const problem = pullRequestProblem(text);
  if (problem) throw new CliError(`--pr: ${problem}`, EXIT.invalid);
  return text;
}

/** Progress goes to stderr: stdout is the comment. */
const progress = (line: string) => process.stderr.write(`${line}\n`);

export function registerCi(program: Command): void {
  const ci = program
    .command('ci')
    .description("pull requests' environments: plan one and print its summary, close it");

  withApiOptions(
    ci
      .command('plan')
      .description(
        "plan the project into the pull request's environment pr_<n>, wait until it is applied, print a Markdown summary",
      )
      .requiredOption('--pr <n>', 'pull request number')
      .option('-p, --project <dir>', 'project folder', '.')
      .option('--base <env>', 'the environment a new pull request environment starts from (default prod)')
      .option(
        '--ttl <duration>',
        "the environment expires this long after the plan is applied (12h, 3d, 2w); the project's sluice: environment_ttl by default",
      ),
  ).action(async (options: CiPlanOptions) => {
    const number = pullRequest(options.pr);
    if (options.base !== undefined) checkEnvironmentArgument(options.base);
    const client = apiClient(options);
    const environment = pullRequestEnvironment(Number(number));
    let planId: string;
    try {
      // loaded here so that other commands do not pay for the project loader
      const { loadProjectPayload } = await import('../project-payload.ts');
      const project = loadProjectPayload(options.project);
      const submitted = await client.planPullRequest(number, {
        project,
        ...(options.base === undefined ? {} : { base: options.base }),
        ...(options.ttl === undefined ? {} : { ttl: options.ttl }),
      });
      planId = submitted.plan.id;
    } catch (err) {
      if (err instanceof CliError && err.exitCode === EXIT.invalid) {
        printRefusal(client, Number(number), environment, err.message, Boolean(options.json));
      }
      throw err;
    }
    progress(`plan ${planId} for pull request ${number} in ${environment}`);
    await waitForPlan(client, planId, { write: progress, intervalMs: cliConfig().SLUICE_POLL_MS });
    const summary = await client.pullRequestSummary(number);
    if (options.json) printJson(summary);
    else print(summary.markdown);
    if (summary.exitCode !== EXIT.ok) {
      throw new CliError(
        `pull request ${number}: plan ${summary.planId} ${summary.outcome}${summary.error ? `: ${summary.error}` : ''}`,
        summary.exitCode ?? EXIT.failed,
      );
    }
  });

  withApiOptions(
    ci
      .command('close')
      .description("delete the pull request's environment pr_<n> (its views, schemas, workflow and state)")
      .requiredOption('--pr <n>', 'pull request number')
      .option('--no-wait', 'return once the deletion has started'),
  ).action(async (options: CiCloseOptions) => {
    const number = pullRequest(options.pr);
    const client = apiClient(options);
    let deletion = await client.closePullRequest(number);
    if (options.wait) deletion = await untilClosed(client, deletion.environment, deletion);
    if (options.json) printJson(deletion);
    else print(describeDeletion(deletion));
    if (deletion.status !== 'COMPLETED' && deletion.status !== 'RUNNING') {
      throw new CliError(
        `closing pull request ${number}: deleting ${deletion.environment} ended ${deletion.status}: ${deletion.error ?? 'no reason given'}`,
        EXIT.failed,
      );
    }
  });
}

/** The summary of a request refused before a plan was stored, so the comment says why. */
function printRefusal(
  client: ApiClient,
  pullRequest: number,
  environment: string,
  refusal: string,
  json: boolean,
): void {
  const summary = ciSummary({
    pullRequest,
    environment,
    plan: null,
    refusal,
    links: { dashboard: `${client.url}/environments/${environment}` },
  });
  if (json) printJson(summary);
  else print(ciMarkdown(summary));
}
