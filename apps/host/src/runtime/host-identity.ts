// Default host ids: set one with --host-id / LATTICE_HOST_ID to keep it stable across restarts.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { CoreConfig } from "../config/core-settings.js";

/**
 * `config` with `hostId` filled in when unset: `host-XXXXXXXX` for hosts, `bridge-XXXXXXXX` for bridges,
 * `cli-{hostname}` for one-shot commands.
 */
export function withHostId<C extends CoreConfig>(config: C, kind: "host" | "bridge" | "cli"): C {
  if (config.hostId !== undefined) return config;
  const generated =
    kind === "cli"
      ? `cli-${hostname().replace(/[^A-Za-z0-9_.:=-]/g, "-")}`
      : `${kind}-${randomBytes(4).toString("hex")}`;
  return { ...config, hostId: generated };
}
