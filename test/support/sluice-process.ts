/**
 * `sluice` commands as separate processes, the way a deployment runs them: configured by the
 * environment only, their output kept (for assertions and for the secret scan), stopped with a
 * signal. Every process started here is killed by `stopAll()`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const SLUICE_BIN = fileURLToPath(new URL('../../bin/sluice.js', import.meta.url));

export interface SluiceProcess {
  name: string;
  child: ChildProcess;
  /** everything it printed so far, stdout and stderr interleaved. */
  output(): string;
  /** resolves with the exit code once it has exited. */
  exited: Promise<number | null>;
  /** sends `signal` and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export class SluiceProcesses {
  private readonly running = new Set<SluiceProcess>();
  /** every process's output, including those that have exited, by name. */
  readonly logs = new Map<string, () => string>();

  /**
   * Starts `sluice <args>` with `env` over a clean base environment, and waits until its output
   * matches `ready` (or fails with its output when it exits first or `timeoutMs` passes).
   */
  async start(
    name: string,
    args: string[],
    env: Record<string, string>,
    ready: RegExp,
    timeoutMs = 90_000,
  ): Promise<SluiceProcess> {
    const child = spawn(process.execPath, [SLUICE_BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      text += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const proc: SluiceProcess = {
      name,
      child,
      output: () => text,
      exited,
      stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        return exited;
      },
    };
    this.running.add(proc);
    this.logs.set(name, proc.output);
    void exited.then(() => this.running.delete(proc));
    const deadline = Date.now() + timeoutMs;
    while (!ready.test(text)) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(
          `${name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${text}`,
        );
      }
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`${name} was not ready within ${timeoutMs} ms:\n${text}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return proc;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running].map((proc) => proc.stop('SIGKILL')));
  }
}

/**
 * Runs a `sluice` CLI command to its end (killed after `timeoutMs`), with `stdin` as its input;
 * resolves with its exit code and output.
 */
export function runSluice(
  args: string[],
  env: Record<string, string>,
  options: { stdin?: string; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SLUICE_BIN, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 90_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.stdin ?? '');
  });
}
