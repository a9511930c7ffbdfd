/**
 * Server-sent events read from text as it arrives: fields `event`, `data` (joined by newlines) and
 * `id`, an event dispatched at each blank line, comments (`: keep-alive`) ignored, as the HTML
 * standard parses a text/event-stream. Chunks may cut a line anywhere.
 */

export interface StreamEvent {
  event: string;
  data: string;
  id: string | null;
}

export function eventStreamParser(onEvent: (event: StreamEvent) => void): (chunk: string) => void {
  let buffer = '';
  let event = '';
  let data: string[] = [];
  let id: string | null = null;
  let hasData = false;
  return (chunk) => {
    buffer += chunk;
    for (;;) {
      const match = /\r\n|\r|\n/.exec(buffer);
      // a lone \r at the end may be the start of \r\n: wait for the next chunk
      if (match === null || (match[0] === '\r' && match.index === buffer.length - 1)) return;
      const line = buffer.slice(0, match.index);
      buffer = buffer.slice(match.index + match[0].length);
      if (line === '') {
        if (hasData) onEvent({ event: event || 'message', data: data.join('\n'), id });
        event = '';
        data = [];
        hasData = false;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') event = value;
      else if (field === 'data') {
        data.push(value);
        hasData = true;
      } else if (field === 'id' && !value.includes('\0')) id = value;
    }
  };
}
