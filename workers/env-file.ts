/**
 * A mounted `.env` file of warehouse settings (`SLUICE_ENV_FILE`), as Kubernetes secrets and
 * Vault agents write them: `KEY=VALUE` lines, `#` comments, blank lines, an optional `export `
 * prefix, values optionally in single quotes (taken as written) or double quotes (where `\n`,
 * `\r`, `\t`, `\"` and `\\` are escapes). A malformed line is an error naming the file and line,
 * never the value.
 *
 * The file holds gateway variables only (`SLUICE__...`, `SQLMESH__...`). Process settings
 * (`TEMPORAL_*`, `SLUICE_*` with a single underscore) are refused: they are read once, when the
 * process starts, so a file that changes them would seem to work and not. Other variables are
 * ignored, so one file may also serve other tools.
 *
 * `EnvFileWatch` re-reads the file when it changes, so a rotated short-lived password reaches the
 * next statement without a restart. It polls the file's stat as fs.watchFile does (following
 * symlinks, so Kubernetes' swap of a secret's `..data` link shows as a new inode), but compares it
 * with the stat it last acted on rather than the previous poll's, so a change made while polling
 * starts is not missed. `check()` is the same cheap comparison, which the executor also runs as
 * each activity starts, so a rotation is seen even between polls.
 * A reload that fails (a malformed line, a refused variable, settings the caller rejects) keeps
 * the previous settings, logs one line and is reported by `status` until a later reload succeeds.
 */

import { createHash } from 'node:crypto';
import { readFileSync, type Stats, statSync } from 'node:fs';
import { DEFAULT_ENV_FILE_POLL_MS } from '../config/defaults.ts';

export class EnvFileError extends Error {
  constructor(
    readonly file: string,
    /** 1-based; undefined for a problem with the whole file (missing, unreadable). */
    readonly line: number | undefined,
    readonly problem: string,
  ) {
    super(line === undefined ? `${file}: ${problem}` : `${file} line ${line}: ${problem}`);
    this.name = 'EnvFileError';
  }
}

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };

/** The variables `text` sets; throws EnvFileError for the first malformed line. */
export function parseEnvFile(text: string, file: string): Record<string, string> {
  const variables: Record<string, string> = {};
  const lineOf = new Map<string, number>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const number = index + 1;
    const fail = (problem: string) => new EnvFileError(file, number, problem);
    let line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (/^export\s/.test(line)) line = line.slice('export'.length).trimStart();
    const equals = line.indexOf('=');
    if (equals < 0) {
      throw fail(KEY.test(line) ? `${line} has no value (expected ${line}=VALUE)` : 'expected KEY=VALUE');
    }
    const key = line.slice(0, equals).trimEnd();
    if (!KEY.test(key)) {
      throw fail(
        `${JSON.stringify(key.slice(0, 60))} is not a variable name (letters, digits and _, not starting with a digit)`,
      );
    }
    const previous = lineOf.get(key);
    if (previous !== undefined) throw fail(`${key} is already set on line ${previous}`);
    variables[key] = parseValue(line.slice(equals + 1).trimStart(), key, fail);
    lineOf.set(key, number);
  }
  return variables;
}

function parseValue(rest: string, key: string, fail: (problem: string) => EnvFileError): string {
  const quote = rest[0];
  if (quote !== '"' && quote !== "'") {
    // an unquoted value ends at a comment (a # after whitespace)
    const comment = /\s#/.exec(rest);
    return (comment === null ? rest : rest.slice(0, comment.index)).trim();
  }
  let value = '';
  let index = 1;
  for (; index < rest.length; index++) {
    const char = rest[index]!;
    if (char === quote) break;
    if (quote === '"' && char === '\\' && index + 1 < rest.length) {
      const next = rest[index + 1]!;
      value += ESCAPES[next] ?? `\\${next}`;
      index++;
      continue;
    }
    value += char;
  }
  if (index >= rest.length) {
    throw fail(
      `the ${quote === '"' ? 'double' : 'single'}-quoted value of ${key} is not closed on the same line`,
    );
  }
  const after = rest.slice(index + 1).trim();
  if (after !== '' && !after.startsWith('#')) {
    throw fail(`unexpected text after the closing quote of ${key}'s value`);
  }
  return value;
}

/** Whether `name` is a process setting that an env file must not set, and why. */
function refusal(name: string): string | undefined {
  const upper = name.toUpperCase();
  if (upper.startsWith('TEMPORAL_')) {
    return `${name}: Temporal settings must be set on the process itself, not in the env file`;
  }
  if (upper.startsWith('SLUICE_') && !upper.startsWith('SLUICE__')) {
    return `${name}: process settings must be set on the process itself; the env file holds gateway settings (SLUICE__GATEWAYS__...)`;
  }
  return undefined;
}

/** Gateway variables: the ones an env file contributes. */
export function isGatewayVariable(name: string): boolean {
  const lower = name.toLowerCase();
  return lower.startsWith('sluice__') || lower.startsWith('sqlmesh__');
}

/** Reads and parses `file`, refusing process settings; only gateway variables are returned. */
export function readEnvFile(file: string): Record<string, string> {
  return variablesOf(readText(file), file);
}

function variablesOf(text: string, file: string): Record<string, string> {
  const all = parseEnvFile(text, file);
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const gateway: Record<string, string> = {};
  for (const [name, value] of Object.entries(all)) {
    const refused = refusal(name);
    if (refused !== undefined) {
      const line = lines.findIndex((l) => new RegExp(`^\\s*(export\\s+)?${name}\\s*=`).test(l)) + 1;
      throw new EnvFileError(file, line > 0 ? line : undefined, refused);
    }
    if (isGatewayVariable(name)) gateway[name] = value;
  }
  return gateway;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EISDIR'
            ? 'is a directory'
            : (error as Error).message;
    throw new EnvFileError(file, undefined, `cannot read the env file (${reason})`);
  }
}

/**
 * The environment with the file's variables over it: the file wins for every gateway setting it
 * sets, whichever prefix (`SLUICE__`/`SQLMESH__`) and case either side spells it with.
 */
export function mergeEnvFile(
  env: Readonly<Record<string, string | undefined>>,
  file: Readonly<Record<string, string>>,
): Record<string, string | undefined> {
  const setting = (name: string) => name.toLowerCase().replace(/^(sluice|sqlmesh)__/, '');
  const overridden = new Set(Object.keys(file).map(setting));
  const merged: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!(isGatewayVariable(name) && overridden.has(setting(name)))) merged[name] = value;
  }
  return { ...merged, ...file };
}

export type EnvFileStatus =
  | { ok: true; file: string; loadedAt: number }
  | { ok: false; file: string; loadedAt: number; error: string };

export interface EnvFileWatchOptions {
  /** how often the file's stat is polled; DEFAULT_ENV_FILE_POLL_MS by default. */
  pollMs?: number;
  /**
   * Takes in the file's gateway variables; throws (naming the variable) to refuse them, and
   * returns what changed for the log line, or undefined when nothing did.
   */
  apply(variables: Record<string, string>): string | undefined;
  log?: (line: string) => void;
}

export class EnvFileWatch {
  /** the stat of the file as last looked at; null before the first look. */
  private signature: string | undefined | null = null;
  /** the content last applied or refused. */
  private digest: string | undefined;
  private current: EnvFileStatus;
  private timer: NodeJS.Timeout | undefined;

  /**
   * The first `check()` applies the file as it is then, which changes nothing when the caller
   * started from the same content (and closes the gap between reading it and watching it).
   */
  constructor(
    readonly file: string,
    private readonly options: EnvFileWatchOptions,
  ) {
    this.current = { ok: true, file, loadedAt: Date.now() };
  }

  /** The outcome of the last load: ok, or the error that kept the previous settings. */
  get status(): EnvFileStatus {
    return this.current;
  }

  /** Starts polling the file. */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.check(), this.options.pollMs ?? DEFAULT_ENV_FILE_POLL_MS);
    this.timer.unref();
  }

  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reloads the file if its stat changed since the last look; never throws. */
  check(): void {
    const stat = statOf(this.file);
    const signature = stat === undefined ? undefined : signatureOf(stat);
    if (signature === this.signature) return;
    this.signature = signature;
    this.reload();
  }

  private reload(): void {
    let text: string;
    try {
      text = readText(this.file);
    } catch (error) {
      this.digest = undefined;
      this.fail(error);
      return;
    }
    const digest = hash(text);
    // touched or re-linked with the same content: nothing to reload, but an earlier failure stays
    if (digest === this.digest) return;
    try {
      const summary = this.options.apply(variablesOf(text, this.file));
      const recovered = !this.current.ok;
      this.digest = digest;
      this.current = { ok: true, file: this.file, loadedAt: Date.now() };
      if (summary !== undefined || recovered) {
        this.log(`env file ${this.file} reloaded: ${summary ?? 'no gateway changed'}`);
      }
    } catch (error) {
      this.digest = digest;
      this.fail(error);
    }
  }

  private fail(error: unknown): void {
    // one line: a message listing several problems reads as one report
    const message = (error instanceof Error ? error.message : String(error)).replace(/\s*\n\s*/g, ' ');
    const where = message.startsWith(this.file) ? message : `${this.file}: ${message}`;
    this.current = { ok: false, file: this.file, loadedAt: Date.now(), error: where };
    this.log(`env file reload failed, keeping the previous settings: ${where}`);
  }

  private log(line: string): void {
    (this.options.log ?? ((text: string) => process.stderr.write(`${text}\n`)))(line);
  }
}

function statOf(file: string): Stats | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

function signatureOf(stat: Stats): string {
  return `${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`;
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
