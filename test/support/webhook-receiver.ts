/**
 * A webhook receiver for the notification tests: a node:http server on loopback that keeps every
 * request (headers and raw body) and answers 500 the first time it sees a delivery id and 200
 * after, so every delivery needs a retry. `verify` checks a request the way the README tells
 * receivers to: HMAC-SHA256 of `<t>.<body>` under the secret, and a timestamp close to now.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  headers: IncomingHttpHeaders;
  body: string;
  /** what the receiver answered. */
  answered: number;
}

export interface WebhookReceiver {
  url: string;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  const seen = new Set<string>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const delivery = String(req.headers['sluice-delivery'] ?? '');
      const answered = seen.has(delivery) ? 200 : 500;
      seen.add(delivery);
      requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), answered });
      res.writeHead(answered, { 'content-type': 'text/plain' });
      res.end(answered === 200 ? 'ok' : 'receiver down for a moment');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/sluice`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * Whether `request` carries a valid `Sluice-Signature` for `secret`, made within `toleranceS`
 * seconds of `nowMs`: the check a receiver makes.
 */
export function verifySignature(
  request: Pick<ReceivedRequest, 'headers' | 'body'>,
  secret: string,
  nowMs: number,
  toleranceS = 300,
): boolean {
  const header = String(request.headers['sluice-signature'] ?? '');
  const parts = Object.fromEntries(header.split(',').map((part) => part.split('=', 2) as [string, string]));
  const t = Number(parts.t);
  if (!Number.isInteger(t) || parts.v1 === undefined) return false;
  if (Math.abs(nowMs / 1000 - t) > toleranceS) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${request.body}`).digest();
  const given = Buffer.from(parts.v1, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
