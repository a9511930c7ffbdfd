/**
 * deploy/temporal-search-attributes.sh, the one-shot (Compose service temporal-setup, and the step the
 * Kubernetes notes ask for) that registers sluice's search attributes on a Temporal namespace: run
 * with the real Temporal CLI against a dev server that has none of them. It adds exactly the ones
 * workflows/search-attributes.ts defines, with their types, and a second run changes nothing.
 */
import { execFile } from 'node:child_process';
import { dirname } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveTemporalExecutable } from '../../workers/temporal-binaries.ts';
import { SLUICE_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes.ts';
import { startDevServer } from '../support/temporal.ts';
import { REPO_ROOT } from './support/manifests.ts';

function run(env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      'sh',
      ['deploy/temporal-search-attributes.sh'],
      { cwd: REPO_ROOT, env, timeout: 150_000 },
      (error, stdout, stderr) => {
        resolve({
          code: error === null ? 0 : typeof error.code === 'number' ? error.code : -1,
          stdout,
          stderr,
        });
      },
    );
  });
}

/** The namespace's custom search attributes and their types, as the server reports them. */
async function customAttributes(env: TestWorkflowEnvironment): Promise<Record<string, number>> {
  const reply = await env.connection.operatorService.listSearchAttributes({ namespace: 'default' });
  return Object.fromEntries(
    Object.entries(reply.customAttributes ?? {}).map(([name, type]) => [name, Number(type)]),
  );
}

describe('deploy/temporal-search-attributes.sh', () => {
  let env: TestWorkflowEnvironment;
  let scriptEnv: Record<string, string>;

  beforeAll(async () => {
    env = await startDevServer();
    const cli = resolveTemporalExecutable('temporal');
    if (cli.type !== 'existing-path') {
      throw new Error('the Temporal CLI is needed: run `npm run setup` (installs it into .tools/temporal)');
    }
    scriptEnv = {
      PATH: `${dirname(cli.path)}:${process.env.PATH ?? '/usr/bin:/bin'}`,
      HOME: process.env.HOME ?? '/tmp',
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: 'default',
    };
  });

  afterAll(async () => {
    await env?.teardown();
  });

  it('registers every search attribute sluice sets, with its type, once', async () => {
    const names = SLUICE_SEARCH_ATTRIBUTES.map((key) => key.name).sort();
    expect(Object.keys(await customAttributes(env)).filter((n) => n.startsWith('Sluice'))).toEqual([]);

    const first = await run(scriptEnv);
    expect(first.code, first.stderr).toBe(0);
    for (const name of names) expect(first.stdout).toContain(`${name} (`);
    const registered = await customAttributes(env);
    expect(
      Object.keys(registered)
        .filter((n) => n.startsWith('Sluice'))
        .sort(),
    ).toEqual(names);
    // IndexedValueType: 2 KEYWORD, 7 KEYWORD_LIST
    const expected: Record<string, number> = { KEYWORD: 2, KEYWORD_LIST: 7 };
    for (const key of SLUICE_SEARCH_ATTRIBUTES)
      expect(registered[key.name], key.name).toBe(expected[key.type]);

    const second = await run(scriptEnv);
    expect(second.code, second.stderr).toBe(0);
    for (const name of names) expect(second.stdout).toContain(`${name} exists on default`);
    expect(await customAttributes(env)).toEqual(registered);
  });

  it('fails with a message when the namespace never appears', async () => {
    const failed = await run({
      ...scriptEnv,
      TEMPORAL_NAMESPACE: 'no-such-namespace',
      SLUICE_SETUP_WAIT: '2',
    });
    expect(failed.code).not.toBe(0);
    expect(failed.stderr).toContain(`namespace no-such-namespace not available at ${env.address} within 2 s`);
  });
});
