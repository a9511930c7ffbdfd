/**
 * Wall and CPU time of one workload. A child command (dbt, SQLMesh) is timed by /usr/bin/time, which
 * reports the child's own rusage; sluice runs in this process, so its CPU is this process's
 * `cpuUsage()` delta plus the Temporal dev server's, read from /proc/<pid>/stat of the child this
 * process started.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface Measurement {
  wallMs: number;
  cpuS: number;
}

/** Runs `command` in `cwd`; rejects with the tail of its output when it fails. */
export function timeCommand(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('/usr/bin/time', ['-f', 'PEER_CPU %U %S', command, ...args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output = (output + d.toString()).slice(-20_000);
    });
    child.stderr.on('data', (d: Buffer) => {
      output = (output + d.toString()).slice(-20_000);
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      const cpu = /PEER_CPU ([\d.]+) ([\d.]+)/.exec(output);
      if (code !== 0 || !cpu) {
        reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${output.slice(-4000)}`));
        return;
      }
      resolve({ wallMs, cpuS: Number(cpu[1]) + Number(cpu[2]) });
    });
  });
}

const TICKS_PER_SECOND = 100;

/** User + system CPU seconds of each child of this process whose command name contains `name`. */
function childrenCpu(name: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // pid (comm) state ppid ...: comm may hold spaces, so split after its closing parenthesis
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    if (Number(fields[1]) !== process.pid || !comm.includes(name)) continue;
    found.push((Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND);
  }
  return found;
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

/** Whether the Temporal server's CPU can be read (it is a child of this process). */
export function temporalServerFound(): boolean {
  return childrenCpu('temporal').length > 0;
}

/** CPU of this process and the Temporal server it started, from now until the returned function is called. */
export function startInProcessCpu(): () => number {
  const own = process.cpuUsage();
  const temporal = sum(childrenCpu('temporal'));
  return () => {
    const d = process.cpuUsage(own);
    return (d.user + d.system) / 1e6 + (sum(childrenCpu('temporal')) - temporal);
  };
}
