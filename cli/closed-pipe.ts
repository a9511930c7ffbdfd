/**
 * Output piped into a reader that stops early (`sluice logs <run> | head`): once the reader has gone,
 * writing to stdout fails with EPIPE. There is nobody left to read the rest, so the command ends
 * quietly with exit code 0, as `cat` or `git log` would, instead of an unhandled error.
 */
export function exitQuietlyWhenReaderCloses(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}
