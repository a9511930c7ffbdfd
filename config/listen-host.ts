/** A host name or IP address to listen on; `[::1]` is accepted for `::1`. */
export const LISTEN_HOST_EXPECTATION =
  'expected a host name or IP address to listen on, e.g. 0.0.0.0 or 127.0.0.1';

export function parseListenHost(text: string): string | undefined {
  const host = /^\[(.*)\]$/.exec(text)?.[1] ?? text;
  return /^[A-Za-z0-9._:-]+$/.test(host) && host.length <= 253 ? host : undefined;
}
