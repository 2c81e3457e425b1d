// Closing connections without hanging: a polite goodbye first, then the socket is destroyed. Over a silent
// partition the goodbye is never answered, and node-postgres's `end()` would wait for it forever.
import type { Client, Pool } from "pg";

/** How long a closing connection may take to say goodbye before its socket is destroyed. */
export const SHUTDOWN_GRACE_MS = 1_000;

/** Waits for `done` or `ms`, whichever comes first; never rejects. */
function atMost(done: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    done.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}

/** Ends one connection: a pending query rejects at once; the socket is gone within the grace. */
export async function endConnection(client: Client, graceMs = SHUTDOWN_GRACE_MS): Promise<void> {
  await atMost(client.end(), graceMs);
  client.connection.stream.destroy();
}

/**
 * Ends a pool: waits at most the grace for its connections to close, then destroys the sockets of those
 * still open (`open`: the pool's connections, as its `connect` and `remove` events tell them).
 */
export async function endPool(
  pool: Pool,
  open: ReadonlySet<Client>,
  graceMs = SHUTDOWN_GRACE_MS,
): Promise<void> {
  if (!pool.ending && !pool.ended) await atMost(pool.end(), graceMs);
  for (const client of open) client.connection.stream.destroy();
}
