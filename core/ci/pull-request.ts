/**
 * A pull request's environment: pull request 7 plans into `pr_7`, as SQLMesh's CI/CD bot names its
 * environments after the pull request. The number is checked here, for the CLI and the API alike.
 */

/** The environment pattern a CI token is scoped to: it reaches every pull request's environment and no other. */
export const PULL_REQUEST_PATTERN = 'pr_*';

/** The largest pull request number taken: GitHub's and GitLab's are far below it. */
export const MAX_PULL_REQUEST = 2_147_483_647;

export function pullRequestEnvironment(number: number): string {
  return `pr_${number}`;
}

/** A problem with a pull request number as typed (`--pr 7`, `/api/ci/pull-requests/7`), or null. */
export function pullRequestProblem(text: string): string | null {
  if (!/^[1-9][0-9]*$/.test(text)) {
    return `pull request number must be a whole number from 1 (got ${JSON.stringify(text)})`;
  }
  if (Number(text) > MAX_PULL_REQUEST) {
    return `pull request number must be at most ${MAX_PULL_REQUEST} (got ${text})`;
  }
  return null;
}
