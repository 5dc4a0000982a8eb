/** Free TCP ports, chosen by the operating system. */
import { createServer } from 'node:net';

/** The loopback address every emulator listens on. */
export const LOOPBACK_HOST = '127.0.0.1';

/**
 * Asks the OS for a free port on {@link LOOPBACK_HOST} (listens on port 0, reads the port, closes).
 * Only for servers that cannot listen on port 0 themselves (a child process): another process could
 * take the port before it is used, so callers retry on "address in use".
 */
export async function findFreePort(host: string = LOOPBACK_HOST): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`cannot read the port of a server listening on ${host}`));
        return;
      }
      server.close((error) => (error ? reject(error) : resolvePort(address.port)));
    });
  });
}
