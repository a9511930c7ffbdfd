/**
 * Sends one fuzz request over HTTP (node:http, a fresh connection each, so no answer depends on how
 * the request before it ended) to the listening API and reads the answer: status, content type and
 * body text. An event stream is read for at most a few seconds (a run still going streams until
 * it ends), and every request has a deadline, so a hung route fails the fuzzer instead of stalling it.
 */
import { request as httpRequest } from 'node:http';
import { type FuzzRequest, urlOf } from './fuzz-request.ts';
import type { FuzzPrincipal } from './principals.ts';

export interface FuzzResponse {
  status: number;
  contentType: string;
  text: string;
  ms: number;
}

const DEADLINE_MS = 30_000;
const STREAM_READ_MS = 2_000;

export async function sendRequest(
  baseUrl: string,
  request: FuzzRequest,
  principal: FuzzPrincipal,
): Promise<FuzzResponse> {
  const headers: Record<string, string> = {};
  if (principal.token !== undefined) headers.authorization = `Bearer ${principal.token}`;
  let body: string | undefined;
  if (request.body?.kind === 'json') {
    body = JSON.stringify(request.body.value) ?? 'null';
    headers['content-type'] = 'application/json';
  } else if (request.body?.kind === 'raw') {
    body = request.body.text;
    if (request.body.contentType !== null) headers['content-type'] = request.body.contentType;
  }
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  const started = Date.now();
  const url = new URL(urlOf(request), baseUrl);
  return new Promise<FuzzResponse>((resolve, reject) => {
    const req = httpRequest(url, { method: request.method, headers, agent: false }, (res) => {
      const contentType = res.headers['content-type'] ?? '';
      const chunks: Buffer[] = [];
      const stream = contentType.startsWith('text/event-stream');
      const stop = stream ? setTimeout(() => res.destroy(), STREAM_READ_MS) : undefined;
      const done = () => {
        clearTimeout(stop);
        clearTimeout(deadline);
        resolve({
          status: res.statusCode ?? 0,
          contentType,
          text: Buffer.concat(chunks).toString('utf8'),
          ms: Date.now() - started,
        });
      };
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', done);
      res.on('close', done);
      res.on('error', (err) => (stream ? done() : reject(err)));
    });
    const deadline = setTimeout(
      () => req.destroy(new Error(`no complete answer within ${DEADLINE_MS} ms`)),
      DEADLINE_MS,
    );
    req.on('error', (err) => {
      clearTimeout(deadline);
      reject(err);
    });
    req.end(body);
  });
}
