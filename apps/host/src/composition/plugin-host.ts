// What a host lends its backend plugins (the contract's \`PluginHost\`), from its container.
import type { PluginHost } from "@lattice-cache/plugin";
import type { DependencyContainer } from "tsyringe";
import { statusChannelContext } from "../audit/host-status-channel.js";
import { LOGGER, resolveToken } from "./tokens.js";

/** The host in \`container\` as its plugins see it: its logger and its status channel's surroundings. */
export function pluginHostOf(container: DependencyContainer): PluginHost {
  return {
    logger: resolveToken(container, LOGGER),
    statusChannel: () => statusChannelContext(container),
  };
}
