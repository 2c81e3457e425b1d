import { createServer } from "node:net";

/** The only interface the harness ever binds to. */
export const LOOPBACK = "127.0.0.1";

/** Well-known ports the harness must never hand out, even if the kernel offers them. */
const RESERVED_PORTS: ReadonlySet<number> = new Set([4222, 6222, 8222, 6379, 16379]);

/** Ports handed out by this process recently; avoids giving the same port twice before it is bound. */
const recentlyIssued: number[] = [];
const RECENT_LIMIT = 256;

function bindEphemeral(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", reject);
    server.listen({ host: LOOPBACK, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close((error) => (error ? reject(error) : resolve(port)));
    });
  });
}

/**
 * Finds a TCP port that is currently free on 127.0.0.1 by binding port 0, reading the port the kernel
 * chose and closing the socket again.
 *
 * Ports returned by earlier calls in the same process (and the default NATS/Redis ports) are skipped, so
 * consecutive calls return distinct ports even before anything has bound them.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await bindEphemeral();
    if (port === 0 || RESERVED_PORTS.has(port) || recentlyIssued.includes(port)) {
      continue;
    }
    recentlyIssued.push(port);
    if (recentlyIssued.length > RECENT_LIMIT) {
      recentlyIssued.shift();
    }
    return port;
  }
  throw new Error("could not find a free port on 127.0.0.1 after 50 attempts");
}
