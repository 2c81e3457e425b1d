// The surroundings of a host's status bus, from its container: the host's logger, its metrics (which count
// what the bus refuses), and the status secret of its configuration. Every backend registration's `statusBus`
// passes this to its bus.
import type { DependencyContainer } from "tsyringe";
import { LOGGER, METRICS, resolveToken } from "../composition/tokens.js";
import type { CoreConfig } from "../config/core-settings.js";
import type { StatusChannelContext } from "./status-channel-context.js";
import { statusSecretOf } from "./status-signature.js";

/**
 * The context of a status bus of the host in `container`. Reads `status.secretFile` when set: throws
 * `ConfigurationError` naming it when the file cannot be read or holds no acceptable secret.
 */
export function statusChannelContext(
  config: CoreConfig,
  container: DependencyContainer,
): StatusChannelContext {
  return {
    logger: resolveToken(container, LOGGER),
    rejections: resolveToken(container, METRICS),
    secret: statusSecretOf(config.status),
  };
}
