/** `sluice token create|list|revoke`: API tokens (admin). A new token is printed once, right here. */
import type { Command } from 'commander';
import { type ApiOptions, apiClient, collect, print, printJson, withApiOptions } from '../api-options.ts';
import { formatTable } from '../table.ts';

export function registerToken(program: Command): void {
  const token = program.command('token').description('manage API tokens (needs an admin token)');

  withApiOptions(
    token
      .command('create')
      .description('create a token; its value is printed once and cannot be shown again')
      .requiredOption('--name <name>', 'what the token is for (shown in the audit log)')
      .requiredOption('--role <role>', 'viewer, operator, deployer or admin')
      .option(
        '--environment <pattern>',
        'environments it may act on, e.g. prod, dev_* (repeat; * when omitted)',
        collect,
        [],
      )
      .option('--expires <time>', 'when it stops working (a date, a timestamp, ...)'),
  ).action(
    async (options: ApiOptions & { name: string; role: string; environment: string[]; expires?: string }) => {
      const created = await apiClient(options).createToken({
        name: options.name,
        role: options.role,
        environments: options.environment.length > 0 ? options.environment : ['*'],
        ...(options.expires === undefined ? {} : { expiresAt: options.expires }),
      });
      if (options.json) return printJson(created);
      print(created.token);
      process.stderr.write(
        `Token ${created.id} (${created.name}, ${created.role} on ${created.environments.join(', ')}) created. ` +
          'It is shown only now: store it (e.g. as SLUICE_TOKEN).\n',
      );
    },
  );

  withApiOptions(
    token
      .command('list')
      .description('list tokens (without their values)')
      .option('--all', 'include revoked tokens'),
  ).action(async (options: ApiOptions & { all?: boolean }) => {
    const list = await apiClient(options).tokens(Boolean(options.all));
    if (options.json) return printJson(list);
    if (list.items.length === 0) return print('No tokens');
    print(
      formatTable(
        ['ID', 'NAME', 'ROLE', 'ENVIRONMENTS', 'CREATED', 'LAST USED', 'STATE'],
        list.items.map((t) => [
          t.id,
          t.name,
          t.role,
          t.environments.join(','),
          t.createdAt,
          t.lastUsedAt ?? '-',
          t.revokedAt ? `revoked ${t.revokedAt}` : t.expiresAt ? `expires ${t.expiresAt}` : 'active',
        ]),
      ),
    );
  });

  withApiOptions(
    token
      .command('revoke')
      .description('revoke a token; it stops working at once')
      .argument('<id>', 'token id'),
  ).action(async (id: string, options: ApiOptions) => {
    const revoked = await apiClient(options).revokeToken(id);
    if (options.json) return printJson(revoked);
    print(`Token ${revoked.id} (${revoked.name}) revoked`);
  });
}
