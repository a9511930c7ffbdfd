/**
 * `sluice connections add|list|remove|rotate-key`: scheduler-managed warehouse connections (admin).
 * `add` sends a gateway's `connection:` mapping (a YAML file, or `-` for stdin) to the API, which
 * seals it, has an apply executor connect with it, and stores it only when that worked. Nothing the
 * commands print contains the settings.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Connection } from '../api-client.ts';
import { type ApiOptions, apiClient, print, printJson, withApiOptions } from '../api-options.ts';
import { CliError, EXIT } from '../errors.ts';
import { formatTable } from '../table.ts';

/** The largest connection file `add` reads (the API accepts 64 KiB). */
const MAX_FILE_BYTES = 64 * 1024;

export function registerConnections(program: Command): void {
  const connections = program
    .command('connections')
    .description('manage scheduler-managed warehouse connections (needs an admin token)');

  withApiOptions(
    connections
      .command('add')
      .description("store a gateway's connection after an apply executor connected with it")
      .argument('<gateway>', 'the gateway name models and config.yaml use')
      .requiredOption('--file <path>', "a YAML file with the gateway's connection: mapping, or - for stdin"),
  ).action(async (gateway: string, options: ApiOptions & { file: string }) => {
    const yaml = readConnectionFile(options.file);
    const saved = await apiClient(options).addConnection(gateway, yaml);
    if (options.json) return printJson(saved);
    const version = saved.test.serverVersion === undefined ? '' : `, ${saved.test.serverVersion}`;
    print(
      `Connection of gateway ${saved.gateway} ${saved.created ? 'added' : 'replaced'} ` +
        `(${saved.type}${saved.host === null ? '' : ` ${saved.host}`}, sealed with key ${saved.keyId}); ` +
        `${saved.test.executor} connected in ${saved.test.latencyMs} ms${version}`,
    );
  });

  withApiOptions(connections.command('list').description('list connections (without their settings)')).action(
    async (options: ApiOptions) => {
      const list = await apiClient(options).connections();
      if (options.json) return printJson(list);
      if (list.items.length === 0) return print("No scheduler-managed connections in the token's scope");
      print(
        formatTable(
          ['GATEWAY', 'TYPE', 'HOST', 'KEY', 'UPDATED', 'BY', 'LAST TEST'],
          list.items.map((c: Connection) => [
            c.gateway,
            c.type,
            c.host ?? '-',
            c.keyId,
            c.updatedAt,
            c.updatedBy,
            c.lastTestedAt === null ? '-' : `${c.lastTestedAt} (${c.lastTestMs} ms)`,
          ]),
        ),
      );
    },
  );

  withApiOptions(
    connections
      .command('remove')
      .description("remove a gateway's connection; executors then need the gateway in their own environment")
      .argument('<gateway>', 'gateway name'),
  ).action(async (gateway: string, options: ApiOptions) => {
    const removed = await apiClient(options).removeConnection(gateway);
    if (options.json) return printJson(removed);
    print(`Connection of gateway ${removed.gateway} removed`);
  });

  withApiOptions(
    connections
      .command('rotate-key')
      .description("re-seal every connection under the API's current SLUICE_ENCRYPTION_KEY (all or none)"),
  ).action(async (options: ApiOptions) => {
    const rotation = await apiClient(options).rotateKey();
    if (options.json) return printJson(rotation);
    const moved = Object.entries(rotation.resealed)
      .map(([keyId, count]) => `${count} from key ${keyId}`)
      .join(', ');
    print(
      `Every connection is sealed with key ${rotation.keyId}: ` +
        `${moved === '' ? 'none re-sealed' : `re-sealed ${moved}`}, ${rotation.unchanged} already current`,
    );
  });
}

function readConnectionFile(file: string): string {
  let text: string;
  try {
    text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory' : (code ?? 'unreadable');
    throw new CliError(`--file ${file}: cannot read it (${reason})`, EXIT.invalid);
  }
  if (Buffer.byteLength(text) > MAX_FILE_BYTES) {
    throw new CliError(
      `--file ${file}: larger than ${MAX_FILE_BYTES} bytes; a connection mapping is a few lines`,
      EXIT.invalid,
    );
  }
  if (text.trim() === '')
    throw new CliError(`--file ${file}: empty; expected the gateway's connection: mapping`, EXIT.invalid);
  return text;
}
