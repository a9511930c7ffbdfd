/**
 * Starting an HTTP server on a host and port, with a failure that says what went wrong in words and
 * which variable chooses the port (the API, the codec server and the workers' health port).
 */
import type { Server } from 'node:http';

export class ListenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ListenError';
  }
}

/** Listens on `host:port`; fails with `cannot listen on host:port: <reason> (set <variable> ...)`. */
export function listen(server: Server, host: string, port: number, variable: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === 'EADDRINUSE'
          ? `the port is in use (set ${variable} to another port)`
          : error.code === 'EACCES'
            ? `permission denied (set ${variable} to a port above 1023)`
            : error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND'
              ? 'no such address on this host'
              : error.message;
      reject(new ListenError(`cannot listen on ${host}:${port}: ${reason}`));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
