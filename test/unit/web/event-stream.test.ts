/**
 * The dashboard's reader of the API's server-sent events: the events of a stream however its text
 * is cut into chunks, with multi-line data, comments, CRLF line ends and events without data.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventStreamParser, type StreamEvent } from '../../../web/client/event-stream.ts';

function parseChunks(chunks: string[]): StreamEvent[] {
  const events: StreamEvent[] = [];
  const feed = eventStreamParser((event) => events.push(event));
  for (const chunk of chunks) feed(chunk);
  return events;
}

/** `text` cut at the given offsets. */
function cut(text: string, offsets: number[]): string[] {
  const points = [...new Set(offsets.map((o) => o % (text.length + 1)))].sort((a, b) => a - b);
  const chunks: string[] = [];
  let from = 0;
  for (const point of points) {
    chunks.push(text.slice(from, point));
    from = point;
  }
  chunks.push(text.slice(from));
  return chunks;
}

const STREAM = [
  ': keep-alive',
  '',
  'event: run',
  'data: {"id":"r1","status":"running"}',
  'id: 1',
  '',
  'event: execution',
  'data: {"id":"e1",',
  'data:  "model":"shop.a"}',
  'id: 2',
  '',
  'event: ignored-without-data',
  '',
  'data: plain',
  '',
  'event: end',
  'data: {"id":"r1","status":"succeeded"}',
  'id: 3',
  '',
  '',
].join('\n');

const EXPECTED: StreamEvent[] = [
  { event: 'run', data: '{"id":"r1","status":"running"}', id: '1' },
  { event: 'execution', data: '{"id":"e1",\n "model":"shop.a"}', id: '2' },
  { event: 'message', data: 'plain', id: '2' },
  { event: 'end', data: '{"id":"r1","status":"succeeded"}', id: '3' },
];

describe('eventStreamParser', () => {
  it('reads events, joins data lines, skips comments and events without data', () => {
    expect(parseChunks([STREAM])).toEqual(EXPECTED);
  });

  it('reads the same events however the text is cut into chunks, with LF or CRLF line ends', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 12 }), fc.boolean(), (offsets, crlf) => {
        const text = crlf ? STREAM.replaceAll('\n', '\r\n') : STREAM;
        expect(parseChunks(cut(text, offsets))).toEqual(EXPECTED);
      }),
    );
  });

  it('dispatches nothing for an event whose blank line has not arrived yet', () => {
    expect(parseChunks(['event: run\ndata: {}\n'])).toEqual([]);
  });
});
