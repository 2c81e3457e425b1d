// What every status bus is given besides its connection settings: where to log, where to count what it
// refuses (the host's metrics), and the status secret it signs and checks answers with.
import type { Logger } from "@lattice-cache/core";
import type { StatusRejections } from "./status-rejections.js";
import type { StatusSecret } from "./status-signature.js";

/** A status bus's surroundings (see `statusChannelContext` for a host's). */
export interface StatusChannelContext {
  readonly logger: Logger;
  /** Counts what the bus refuses, as a host (requests) and as a requester (answers). */
  readonly rejections: StatusRejections;
  /** The status secret, or undefined when none is configured: answers are then neither signed nor checked. */
  readonly secret: StatusSecret | undefined;
}
