/**
 * Sends one fuzz request over HTTP (node:http, a fresh connection each, so no answer depends on how
 * the request before it ended) to the listening API and reads the answer: status, content type and
 * body text. An event stream is read for at most a few seconds (a run still going streams until
 * it ends), and every request has a deadline, so a hung route fails the fuzzer instead of stalling it.
 */
import { Agent, request as httpRequest } from 'node:http';
import { type FuzzRequest, urlOf } from './fuzz-request.ts';
import type { FuzzPrincipal } from './principals.ts';

export interface FuzzResponse {
  status: number;
  contentType: string;
  text: string;
  ms: number;
  /**
   * after a body beyond the limit: how the next request on the connection the answer left open
   * fared (null when answered), since a server that refuses before reading the body must not leave a
   * connection that fails the client's next request.
   */
  followUp?: string | null;
}

/** Bodies above the API's 1 MiB limit, which are refused before they are read. */
const LIMIT_BYTES = 1024 * 1024;

const DEADLINE_MS = 30_000;
const STREAM_READ_MS = 2_000;

export async function sendRequest(
  baseUrl: string,
  request: FuzzRequest,
  principal: FuzzPrincipal,
): Promise<FuzzResponse> {
  const size = request.body?.kind === 'raw' ? Buffer.byteLength(request.body.text) : 0;
  if (size <= LIMIT_BYTES) return sendOn(false, baseUrl, request, principal);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    const response = await sendOn(agent, baseUrl, request, principal);
    const next: FuzzRequest = {
      ...request,
      method: 'GET',
      path: '/api/openapi.json',
      query: {},
      body: undefined,
    };
    const followUp = await sendOn(agent, baseUrl, next, principal).then(
      () => null,
      (err: NodeJS.ErrnoException) => err.code ?? err.message,
    );
    return { ...response, followUp };
  } finally {
    agent.destroy();
  }
}

function sendOn(
  agent: Agent | false,
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
    const req = httpRequest(url, { method: request.method, headers, agent }, (res) => {
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
