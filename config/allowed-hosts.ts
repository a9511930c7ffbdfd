/**
 * The Host values an API with tokens on serves (SLUICE_API_ALLOWED_HOSTS): comma-separated `host` or
 * `host:port`, compared with the Host header as the API receives it (a browser leaves the port out
 * for 80 and 443). A host is a name, an IPv4 address or a bracketed IPv6 address.
 */
import { parsePort } from './port.ts';

export const ALLOWED_HOSTS_EXPECTATION =
  'expected comma-separated Host values host or host:port, e.g. sluice.example.com,sluice-api:8787 (no scheme, path or *)';

const NAME = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;
const IPV6 = /^\[[0-9a-f:.]+\]$/;

/** The Host values, lower-cased, or undefined when one of them is not a Host value. */
export function parseAllowedHosts(text: string): string[] | undefined {
  const entries = text
    .split(',')
    .map((entry) => entry.trim().toLowerCase())
    .filter((entry) => entry !== '');
  if (entries.length === 0) return undefined;
  for (const entry of entries) {
    const match = /^(\[[^\]]*\]|[^:]*)(?::([^:]*))?$/.exec(entry);
    if (!match) return undefined;
    const [, host, port] = match;
    if (!NAME.test(host!) && !IPV6.test(host!)) return undefined;
    if (port !== undefined && parsePort(port) === undefined) return undefined;
  }
  return [...new Set(entries)];
}
