/**
 * CPU time and resident memory of a process on this machine, read from /proc (Linux), for
 * benchmarks that report what a worker or the Temporal server costs over a window of time.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) the process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // fields after the command name (which may hold spaces), counted from the state field (3rd)
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Resident memory in MB. */
export function residentMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

/** The first process whose command line holds every one of `parts`. */
export function findProcess(...parts: string[]): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      if (parts.every((p) => cmdline.includes(p))) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  return undefined;
}

export interface WindowUsage {
  /** CPU seconds over the window, and as a share of one core. */
  cpuSeconds: number;
  cores: number;
  /** resident memory sampled every second: the mean and the highest. */
  meanMb: number;
  maxMb: number;
}

/** Samples `pid` every second for `ms`, then gives its CPU and memory over that window. */
export async function usageOver(pid: number, ms: number): Promise<WindowUsage> {
  const started = Date.now();
  const cpuBefore = cpuSeconds(pid);
  const samples: number[] = [];
  while (Date.now() - started < ms) {
    samples.push(residentMb(pid));
    await new Promise((r) => setTimeout(r, Math.min(1_000, ms - (Date.now() - started))));
  }
  const used = cpuSeconds(pid) - cpuBefore;
  const elapsed = (Date.now() - started) / 1000;
  return {
    cpuSeconds: used,
    cores: used / elapsed,
    meanMb: samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length),
    maxMb: Math.max(...samples),
  };
}

/** One line for a window's usage. */
export function describeUsage(usage: WindowUsage): string {
  return (
    `CPU ${usage.cpuSeconds.toFixed(1)} s (${(usage.cores * 100).toFixed(0)}% of a core), ` +
    `memory ${usage.meanMb.toFixed(0)} MB mean, ${usage.maxMb.toFixed(0)} MB peak`
  );
}
