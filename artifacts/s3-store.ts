/**
 * The artifact store as an S3-compatible bucket (AWS S3, MinIO, Ceph, …): keys under a prefix,
 * path-style URLs (`<endpoint>/<bucket>/<prefix><key>`), each request signed with SigV4
 * (sigv4.ts). Lists page through ListObjectsV2; removal deletes object by object. A failed request
 * raises an error naming the operation, the key and the server's error code, never a credential.
 */
import { checkArtifactPath } from '../core/artifacts/paths.ts';
import { type S3Credentials, signRequest, uriEncode } from './sigv4.ts';
import type { ArtifactStore, StoredArtifact } from './store.ts';

export interface S3StoreOptions {
  /** `https://s3.eu-west-1.amazonaws.com`, `http://127.0.0.1:9000`, … */
  endpoint: string;
  region: string;
  bucket: string;
  /** ends in `/`, or is empty. */
  prefix: string;
  credentials: S3Credentials;
  /** the clock requests are signed with (tests pin it). */
  now?: () => Date;
  fetch?: typeof fetch;
}

export class S3ArtifactStore implements ArtifactStore {
  readonly location: string;
  private readonly endpoint: URL;

  constructor(private readonly options: S3StoreOptions) {
    this.endpoint = new URL(options.endpoint.replace(/\/+$/, ''));
    this.location = `s3://${options.bucket}/${options.prefix}`.replace(/\/$/, '');
  }

  private url(key?: string): URL {
    const base = this.endpoint.pathname.replace(/\/+$/, '');
    const path = key === undefined ? '' : `/${uriEncode(`${this.options.prefix}${key}`, true)}`;
    return new URL(`${this.endpoint.origin}${base}/${uriEncode(this.options.bucket, false)}${path}`);
  }

  private async send(
    operation: string,
    method: string,
    url: URL,
    body: Uint8Array | string = '',
    headers: Record<string, string> = {},
  ): Promise<Response> {
    const signed = signRequest(
      { method, url, headers, body },
      this.options.credentials,
      this.options.region,
      (this.options.now ?? (() => new Date()))(),
    );
    const { host: _host, ...sent } = signed;
    try {
      return await (this.options.fetch ?? fetch)(url, {
        method,
        headers: sent,
        ...(method === 'GET' || method === 'HEAD' || method === 'DELETE' ? {} : { body }),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      const reason = cause?.code ?? cause?.message ?? (error as Error).message;
      throw new Error(
        `${this.location}: ${operation} failed: cannot reach ${this.endpoint.origin} (${reason})`,
      );
    }
  }

  private async failure(operation: string, what: string, response: Response): Promise<Error> {
    const text = await response.text().catch(() => '');
    const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? `HTTP ${response.status}`;
    const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1];
    return new Error(
      `${this.location}: ${operation} ${what} failed: ${code}${message ? ` (${message})` : ''}`,
    );
  }

  async put(key: string, body: string | Uint8Array, contentType: string): Promise<void> {
    checkArtifactPath(key);
    const response = await this.send('PutObject', 'PUT', this.url(key), body, {
      'content-type': contentType,
    });
    if (!response.ok) throw await this.failure('PutObject', key, response);
    await response.arrayBuffer();
  }

  async get(key: string): Promise<Uint8Array | null> {
    checkArtifactPath(key);
    const response = await this.send('GetObject', 'GET', this.url(key));
    if (response.status === 404) {
      await response.arrayBuffer();
      return null;
    }
    if (!response.ok) throw await this.failure('GetObject', key, response);
    return new Uint8Array(await response.arrayBuffer());
  }

  async list(prefix: string): Promise<StoredArtifact[]> {
    const found: StoredArtifact[] = [];
    let token: string | undefined;
    do {
      const url = this.url();
      url.searchParams.set('list-type', '2');
      url.searchParams.set('prefix', `${this.options.prefix}${prefix}`);
      if (token !== undefined) url.searchParams.set('continuation-token', token);
      const response = await this.send('ListObjectsV2', 'GET', url);
      if (!response.ok) throw await this.failure('ListObjectsV2', prefix || '/', response);
      const xml = await response.text();
      for (const [, entry] of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
        const key = xmlText(/<Key>([\s\S]*?)<\/Key>/.exec(entry!)?.[1] ?? '');
        found.push({
          key: key.slice(this.options.prefix.length),
          size: Number(/<Size>(\d+)<\/Size>/.exec(entry!)?.[1] ?? 0),
          lastModified: Date.parse(/<LastModified>([^<]+)<\/LastModified>/.exec(entry!)?.[1] ?? ''),
        });
      }
      const truncated = /<IsTruncated>true<\/IsTruncated>/.test(xml);
      token = truncated
        ? xmlText(/<NextContinuationToken>([^<]+)<\/NextContinuationToken>/.exec(xml)?.[1] ?? '')
        : undefined;
    } while (token);
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  async remove(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      checkArtifactPath(key);
      const response = await this.send('DeleteObject', 'DELETE', this.url(key));
      if (!response.ok && response.status !== 404) throw await this.failure('DeleteObject', key, response);
      await response.arrayBuffer();
    }
  }
}

function xmlText(text: string): string {
  return text
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&apos;', "'")
    .replaceAll('&amp;', '&');
}
