/**
 * Browser origins allowed to call a codec endpoint: comma-separated `http(s)://host[:port]` without
 * a path. `*` is refused: any site could otherwise decode payloads through the browser of someone
 * who holds the key.
 */
export const BROWSER_ORIGINS_EXPECTATION =
  'expected comma-separated origins http(s)://host[:port] without a path, e.g. http://localhost:8233 (* is refused)';

/** The origins, without trailing slashes, or undefined when one of them is not an origin. */
export function parseBrowserOrigins(text: string): string[] | undefined {
  const origins = text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  if (origins.length === 0) return undefined;
  for (const origin of origins) {
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    if (url === undefined || !/^https?:$/.test(url.protocol) || url.origin !== origin.replace(/\/$/, '')) {
      return undefined;
    }
  }
  return origins.map((origin) => origin.replace(/\/$/, ''));
}
