/**
 * `sluice notifications add|list|remove|test|deliveries`: webhooks told about the runs and plans of
 * an environment or pattern (needs the operator role on it). A new webhook's signing secret is
 * printed once, right here. A bad webhook is refused before any call, naming the option.
 */
import type { Command } from 'commander';
import { DEFAULT_API_URL } from '../../config/defaults.ts';
import { NOTIFICATION_EVENTS } from '../../core/notifications/events.ts';
import { webhookProblems } from '../../core/notifications/webhook-input.ts';
import { PAGE_LIMIT } from '../../core/validation/limits.ts';
import type { ApiClient, DeliveryList } from '../api-client.ts';
import {
  type ApiOptions,
  apiClient,
  collect,
  print,
  printJson,
  rejectingUsageErrors,
  withApiOptions,
} from '../api-options.ts';
import { CliError, EXIT } from '../errors.ts';
import { countOption } from '../input-checks.ts';
import { formatTable } from '../table.ts';

/** How long `test` waits for the receiver's first answer before leaving it to the deliveries list. */
const TEST_WAIT_MS = 15_000;

const OPTION_OF: Record<string, string> = {
  environment: '--environment',
  url: '--url',
  events: '--events',
  format: '--format',
};

export function registerNotifications(program: Command): void {
  const notifications = program
    .command('notifications')
    .description('manage notification webhooks (needs the operator role on their environments)');

  // `--url` is the webhook's here, so the API's address is `--api-url` (or SLUICE_API_URL)
  rejectingUsageErrors(
    notifications
      .command('add')
      .description('add a webhook; its signing secret is printed once and cannot be shown again')
      .requiredOption('--environment <pattern>', 'the environment or pattern it is about: prod, pr_*, *')
      .requiredOption('--url <url>', 'where deliveries are POSTed (http or https)')
      .option(
        '--events <events>',
        `comma-separated, or repeated (all when omitted): ${NOTIFICATION_EVENTS.join(', ')}`,
        collect,
        [],
      )
      .option('--format <format>', 'json (signed sluice event) or slack ({text, blocks})', 'json')
      .option('--api-url <url>', `sluice API URL (SLUICE_API_URL, default ${DEFAULT_API_URL})`)
      .option('--token <token>', 'API token (SLUICE_TOKEN)')
      .option('--json', 'print the result as JSON'),
  ).action(
    async (
      options: Omit<ApiOptions, 'url'> & {
        apiUrl?: string;
        environment: string;
        url: string;
        events: string[];
        format: string;
      },
    ) => {
      const events = options.events
        .flatMap((e) => e.split(','))
        .map((e) => e.trim())
        .filter((e) => e !== '');
      const problems = webhookProblems({
        environment: options.environment,
        url: options.url,
        events: events.length > 0 ? events : [...NOTIFICATION_EVENTS],
        format: options.format,
      });
      if (problems.length > 0) {
        const [field, ...rest] = problems[0]!.split(': ');
        throw new CliError(`${OPTION_OF[field!] ?? field}: ${rest.join(': ')}`, EXIT.invalid);
      }
      const { apiUrl, token } = options;
      const api = apiClient({
        ...(apiUrl === undefined ? {} : { url: apiUrl }),
        ...(token === undefined ? {} : { token }),
      });
      const created = await api.addWebhook({
        environment: options.environment,
        url: options.url,
        format: options.format,
        ...(events.length > 0 ? { events } : {}),
      });
      if (options.json) return printJson(created);
      print(created.secret);
      process.stderr.write(
        `Webhook ${created.id} added: ${created.events.join(', ')} of ${created.environment} to ${created.url} ` +
          `(${created.format}). The signing secret above is shown only now: give it to the receiver.\n`,
      );
    },
  );

  withApiOptions(notifications.command('list').description('list webhooks (without their secrets)')).action(
    async (options: ApiOptions) => {
      const list = await apiClient(options).webhooks();
      if (options.json) return printJson(list);
      if (list.items.length === 0) return print('No webhooks');
      print(
        formatTable(
          ['ID', 'ENVIRONMENT', 'EVENTS', 'FORMAT', 'URL', 'CREATED BY'],
          list.items.map((w) => [w.id, w.environment, w.events.join(','), w.format, w.url, w.createdBy]),
        ),
      );
    },
  );

  withApiOptions(
    notifications
      .command('remove')
      .description('remove a webhook and its delivery history')
      .argument('<id>', 'webhook id'),
  ).action(async (id: string, options: ApiOptions) => {
    const removed = await apiClient(options).removeWebhook(id);
    if (options.json) return printJson(removed);
    print(`Webhook ${removed.id} (${removed.url}) removed`);
  });

  withApiOptions(
    notifications
      .command('test')
      .description("send a webhook a test event and show the receiver's first answer")
      .argument('<id>', 'webhook id'),
  ).action(async (id: string, options: ApiOptions) => {
    const client = apiClient(options);
    const sent = await client.testWebhook(id);
    const delivery = await firstAttempt(client, id, sent.deliveryId);
    if (options.json) return printJson(delivery ?? sent);
    if (!delivery) {
      return print(
        `Test delivery ${sent.deliveryId} is on its way; no answer yet (see sluice notifications deliveries ${id})`,
      );
    }
    const attempt = delivery.attempts[0]!;
    if (attempt.error === null)
      return print(`Test delivery ${delivery.id}: the receiver answered ${attempt.statusCode}`);
    throw new CliError(
      `test delivery ${delivery.id} failed: ${attempt.error} (retried with backoff; see sluice notifications deliveries ${id})`,
      EXIT.failed,
    );
  });

  withApiOptions(
    notifications
      .command('deliveries')
      .description("a webhook's deliveries, newest first, with every attempt")
      .argument('<id>', 'webhook id')
      .option('--limit <n>', 'most deliveries shown', '20'),
  ).action(async (id: string, options: ApiOptions & { limit: string }) => {
    const limit = countOption('--limit', options.limit, PAGE_LIMIT);
    const list = await apiClient(options).deliveries(id, limit);
    if (options.json) return printJson(list);
    if (list.items.length === 0) return print('No deliveries');
    print(
      formatTable(
        ['DELIVERY', 'EVENT', 'ENVIRONMENT', 'STATUS', 'ATTEMPTS', 'LAST ANSWER', 'CREATED'],
        list.items.map((d) => {
          const last = d.attempts.at(-1);
          return [
            d.id,
            d.eventType,
            d.environment,
            d.status,
            String(d.attempts.length),
            last ? (last.error ?? String(last.statusCode)) : '-',
            d.createdAt,
          ];
        }),
      ),
    );
  });
}

type Delivery = DeliveryList['items'][number];

async function firstAttempt(
  client: ApiClient,
  webhookId: string,
  deliveryId: string,
): Promise<Delivery | null> {
  const deadline = Date.now() + TEST_WAIT_MS;
  while (Date.now() < deadline) {
    const list = await client.deliveries(webhookId, 20);
    const delivery = list.items.find((d) => d.id === deliveryId);
    if (delivery && delivery.attempts.length > 0) return delivery;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return null;
}
