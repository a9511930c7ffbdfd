/** The one port parser: a whole number in range; `0` only where it means "pick a free port". */
export interface PortOptions {
  /** accept 0, which makes the listener pick a free port. */
  allowZero?: boolean;
}

export function portExpectation(options: PortOptions = {}): string {
  return options.allowZero
    ? 'expected a port number 0–65535 (0 picks a free port)'
    : 'expected a port number 1–65535';
}

/** The port, or undefined when `text` is not one. */
export function parsePort(text: string, options: PortOptions = {}): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port >= (options.allowZero ? 0 : 1) && port <= 65_535 ? port : undefined;
}
