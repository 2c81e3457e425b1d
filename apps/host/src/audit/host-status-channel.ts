// The surroundings of a host's status bus, from its container: the host's logger, its metrics (which count
// what the bus refuses), and the status secret of its configuration. Every backend registration's `statusBus`
// passes this to its bus.

import type { StatusChannelContext } from "@lattice-cache/plugin";
import { statusSecretOf } from "@lattice-cache/plugin";
import type { DependencyContainer } from "tsyringe";
import { CONFIG, LOGGER, METRICS, resolveToken } from "../composition/tokens.js";

/**
 * The context of a status bus of the host in `container`. Reads `status.secretFile` when set: throws
 * `ConfigurationError` naming it when the file cannot be read or holds no acceptable secret.
 */
export function statusChannelContext(container: DependencyContainer): StatusChannelContext {
  const config = resolveToken(container, CONFIG);
  return {
    logger: resolveToken(container, LOGGER),
    rejections: resolveToken(container, METRICS),
    secret: statusSecretOf(config.status),
  };
}
