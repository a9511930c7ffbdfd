/**
 * `sluice fetchdf "<sql>"`: one read-only query of an environment's warehouse, run by a run
 * executor (which holds the credentials), its model names reading the environment's views, as
 * SQLMesh's `fetchdf` does. Prints a table, `--json` (the API's answer) or `--csv` (RFC 4180). When
 * rows were left out (the row limit or the byte cap), a note says so on stderr, so the rows on
 * stdout stay clean to pipe.
 */
import type { Command } from 'commander';
import { parseDuration } from '../../config/duration.ts';
import { QUERY_ROW_LIMIT, QUERY_TIMEOUT_LIMIT } from '../../core/query/limits.ts';
import {
  type ApiOptions,
  apiClient,
  DEFAULT_ENVIRONMENT,
  print,
  printJson,
  withApiOptions,
} from '../api-options.ts';
import { formatCsv } from '../csv.ts';
import { CliError, EXIT } from '../errors.ts';
import { checkEnvironmentArgument, countOption } from '../input-checks.ts';
import { formatTable } from '../table.ts';

interface FetchdfOptions extends ApiOptions {
  env: string;
  gateway?: string;
  limit?: string;
  timeout?: string;
  csv?: boolean;
}

export function registerFetchdf(program: Command): void {
  withApiOptions(
    program
      .command('fetchdf')
      .description("run a read-only query on an environment's warehouse through an executor")
      .argument('<sql>', "one SELECT; model names (schema.table) read the environment's views")
      .option('-e, --env <env>', 'the environment whose views model names read', DEFAULT_ENVIRONMENT)
      .option('--gateway <gateway>', "the gateway to query (the project's default gateway)")
      .option('--limit <n>', `rows to print at most (${QUERY_ROW_LIMIT.min}-${QUERY_ROW_LIMIT.max})`, '100')
      .option('--timeout <duration>', 'stop the query after this long (30s, 2m, 500ms)', '30s')
      .option('--csv', 'print the rows as CSV (RFC 4180)'),
  ).action(async (sql: string, options: FetchdfOptions) => {
    checkEnvironmentArgument(options.env);
    if (sql.trim() === '') throw new CliError('the query is empty: give one SELECT statement', EXIT.invalid);
    if (options.json && options.csv)
      throw new CliError('--json and --csv exclude each other: pick one', EXIT.invalid);
    const limit = countOption('--limit', options.limit ?? '100', QUERY_ROW_LIMIT);
    const timeoutMs = parseDuration(options.timeout ?? '30s');
    if (
      timeoutMs === undefined ||
      timeoutMs < QUERY_TIMEOUT_LIMIT.min ||
      timeoutMs > QUERY_TIMEOUT_LIMIT.max
    ) {
      throw new CliError(
        `--timeout ${JSON.stringify(options.timeout)} must be a duration from ${QUERY_TIMEOUT_LIMIT.min}ms to ${QUERY_TIMEOUT_LIMIT.max / 60_000}m, such as 30s`,
        EXIT.invalid,
      );
    }
    const result = await apiClient(options).query(options.env, {
      sql,
      limit,
      timeoutMs,
      ...(options.gateway === undefined ? {} : { gateway: options.gateway }),
    });
    if (options.json) return printJson(result);
    const headers = result.columns.map((column) => column.name);
    if (options.csv) process.stdout.write(formatCsv(headers, result.rows));
    else
      print(
        formatTable(
          headers,
          result.rows.map((row) => row.map(tableCell)),
        ),
      );
    if (result.truncated) {
      process.stderr.write(
        result.truncatedBy === 'bytes'
          ? `(${result.rowCount} rows shown: the answer reached its size cap; select fewer columns or rows)\n`
          : `(${result.rowCount} rows shown: the query has more; raise --limit, at most ${QUERY_ROW_LIMIT.max})\n`,
      );
    }
  });
}

function tableCell(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return text.replaceAll('\r', '\\r').replaceAll('\n', '\\n');
}
