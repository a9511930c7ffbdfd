/**
 * Colours for `sluice dev`'s lines: ANSI escapes on a terminal, none when the output is piped or a
 * file, or when NO_COLOR is set to anything but the empty string (https://no-color.org).
 */

export interface Palette {
  enabled: boolean;
  green(text: string): string;
  red(text: string): string;
  yellow(text: string): string;
  cyan(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

/** Whether lines written to `stream` get colours, given the process environment. */
export function colorsWanted(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): boolean {
  const noColor = env.NO_COLOR;
  return stream.isTTY === true && (noColor === undefined || noColor === '');
}

const wrap = (enabled: boolean, open: number, close: number) => (text: string) =>
  enabled ? `\u001b[${open}m${text}\u001b[${close}m` : text;

export function palette(enabled: boolean): Palette {
  return {
    enabled,
    green: wrap(enabled, 32, 39),
    red: wrap(enabled, 31, 39),
    yellow: wrap(enabled, 33, 39),
    cyan: wrap(enabled, 36, 39),
    dim: wrap(enabled, 2, 22),
    bold: wrap(enabled, 1, 22),
  };
}
