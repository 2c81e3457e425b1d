// The part of a host's validated configuration every plugin may read, whatever the backend: the host's own
// settings (its sections come on top, see `PluginConfig`).
import type { CreateLatticeMode } from "./settings/lattice-settings.js";

/** The host settings a plugin reads (the host's configuration has these and more). */
export interface PluginHostConfig {
  /** The configured backend's name (`backend:`). */
  readonly backend: string;
  /** The lattice prefix. */
  readonly prefix: string;
  /** This host's id, when configured (the origin of its writes). */
  readonly hostId?: string | undefined;
  /** Whether opening creates a lattice that does not exist (the host has already decided; see `provisionOf`). */
  readonly createLattice: CreateLatticeMode;
  /** Deadline for opening the backend (connect and provision), in ms. */
  readonly connectTimeoutMs: number;
  /** The status channel's secret settings (read by `statusSecretOf`). */
  readonly status: { readonly secret?: string | undefined; readonly secretFile?: string | undefined };
}

/**
 * How a backend that can either create its lattice or only bind to it opens under the host's `createLattice`:
 * `never` binds (the lattice must exist); otherwise the host has checked (or is allowed to create) and the
 * backend creates what is missing.
 */
export function provisionOf(config: Pick<PluginHostConfig, "createLattice">): "create" | "bind" {
  return config.createLattice === "never" ? "bind" : "create";
}
