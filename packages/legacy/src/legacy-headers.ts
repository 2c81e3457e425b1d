// NATS headers that mark messages this package sends. Old hosts ignore headers, so they change nothing for them.
import { headers, type MsgHdrs } from "@nats-io/nats-core";

/** Marks a broadcast (or `.get` reply) sent by a migration bridge; value = the bridge id. Bridges ignore these. */
export const BRIDGE_HEADER = "Lattice-Bridge";

/**
 * Marks a broadcast sent by one `LegacyBackend` on a borrowed connection (no `noEcho`); value = the
 * backend's instance id, so it can drop its own echo.
 */
export const ORIGIN_HEADER = "Lattice-Origin";

/** Headers with one field set. */
export function headerWith(name: string, value: string): MsgHdrs {
  const h = headers();
  h.set(name, value);
  return h;
}
