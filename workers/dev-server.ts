/**
 * A local Temporal dev server with its Web UI, for `sluice dev`: the Temporal CLI's
 * `temporal server start-dev` (found by workers/temporal-binaries.ts), keeping its state in a SQLite
 * file so workflows and schedules survive a restart, with sluice's search attributes registered.
 *
 * With `uiCodecEndpoint`, the Web UI sends payloads to that codec endpoint to show them decoded
 * (sluice dev points it at its API's `/api/codec` when SLUICE_PAYLOAD_KEY is set).
 *
 * The server runs in its own process group, so the Ctrl-C meant for `sluice dev` does not stop it
 * before the workers have drained; `stop()` ends it afterwards.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import { resolveTemporalExecutable } from './temporal-binaries.ts';

export const DEV_SERVER_IP = '127.0.0.1';

/** The search attributes sluice's workflows set (workflows/search-attributes.ts), as the CLI names their types. */
export const DEV_SEARCH_ATTRIBUTES: Readonly<Record<string, string>> = {
  SluiceEnvironment: 'Keyword',
  SluiceModels: 'KeywordList',
  SluiceTrigger: 'Keyword',
};

export interface DevServerOptions {
  /** created at start unless it is `default`, which always exists. */
  namespace?: string;
  port: number;
  uiPort: number;
  /** the SQLite file the server keeps its state in. */
  dbFile: string;
  /** where the server's own output goes. */
  logFile: string;
  env?: Record<string, string | undefined>;
  /** how long to wait for the server to answer. */
  startTimeoutMs?: number;
  /** the Web UI's codec endpoint (`--ui-codec-endpoint`), for payloads encrypted with SLUICE_PAYLOAD_KEY. */
  uiCodecEndpoint?: string;
}

export interface DevServer {
  address: string;
  uiUrl: string;
  /** settles when the server process exits. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const executable = resolveTemporalExecutable('temporal', options.env);
  if (executable.type !== 'existing-path') {
    throw new Error(
      'the Temporal CLI (temporal) was not found: set SLUICE_TEMPORAL_CLI to its path, put it on PATH, ' +
        'or run `npm run setup` to install it into .tools/temporal; or set TEMPORAL_ADDRESS to use a running server',
    );
  }
  for (const [port, variable] of [
    [options.port, 'SLUICE_TEMPORAL_PORT'],
    [options.uiPort, 'SLUICE_TEMPORAL_UI_PORT'],
  ] as const) {
    if (!(await portIsFree(port))) {
      throw new Error(
        `port ${port} on ${DEV_SERVER_IP} is already in use: set ${variable} to a free port, ` +
          'or set TEMPORAL_ADDRESS to use the Temporal server that is running',
      );
    }
  }
  mkdirSync(dirname(options.dbFile), { recursive: true });
  mkdirSync(dirname(options.logFile), { recursive: true });
  const args = [
    'server',
    'start-dev',
    '--ip',
    DEV_SERVER_IP,
    '--port',
    String(options.port),
    '--ui-port',
    String(options.uiPort),
    '--db-filename',
    options.dbFile,
    '--log-level',
    'warn',
    ...(options.namespace === undefined || options.namespace === 'default'
      ? []
      : ['--namespace', options.namespace]),
    ...Object.entries(DEV_SEARCH_ATTRIBUTES).flatMap(([key, type]) => [
      '--search-attribute',
      `${key}=${type}`,
    ]),
    ...(options.uiCodecEndpoint === undefined ? [] : ['--ui-codec-endpoint', options.uiCodecEndpoint]),
  ];
  const child = spawn(executable.path, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(options.logFile, { flags: 'a' });
  let output = '';
  const keep = (chunk: Buffer) => {
    log.write(chunk);
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.once('error', () => resolve(null));
  });
  // should this process end without stopping the server, the server ends with it
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const address = `${DEV_SERVER_IP}:${options.port}`;
  const stop = async () => {
    process.off('exit', killOnExit);
    await terminate(child, exited);
    await new Promise<void>((resolve) => log.end(resolve));
  };
  try {
    await waitUntilServing(address, exited, options.startTimeoutMs ?? 60_000);
  } catch (error) {
    await stop();
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`the Temporal dev server did not start: ${reason}\n${output.trim()}`);
  }
  return { address, uiUrl: `http://${DEV_SERVER_IP}:${options.uiPort}`, exited, stop };
}

async function waitUntilServing(address: string, exited: Promise<number | null>, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let gone: number | null | undefined;
  exited.then((code) => {
    gone = code;
  });
  for (;;) {
    if (gone !== undefined) throw new Error(`the server process exited with code ${gone}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: '1 second' });
      try {
        await connection.workflowService.describeNamespace({ namespace: 'default' });
        return;
      } finally {
        await connection.close();
      }
    } catch {
      if (Date.now() > deadline) throw new Error(`no answer on ${address} within ${timeoutMs / 1000}s`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** Asks the server to stop (SIGINT, as Ctrl-C would), and kills it if it has not within 10s. */
async function terminate(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGINT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, DEV_SERVER_IP, () => server.close(() => resolve(true)));
  });
}
