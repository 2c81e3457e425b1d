// The lattice `lattice up` runs its demo in: prefix `demo` (bucket LATTICEDATA_demo) unless the configuration
// names another, so a demo on a NATS server that already runs — maybe one real wasmCloud hosts use — never
// writes into their LATTICEDATA_default. Whether the lattice was there before `up` is told to the user: the
// backend's plugin lists the lattices, and the (unopened) backend says where it keeps its data.
import { errorText } from "@lattice-cache/core";
import type { DependencyContainer } from "tsyringe";
import { OperationalError } from "../cli/cli-errors.js";
import { BACKEND, BACKEND_REGISTRY, LATTICE_LISTING, resolveToken } from "../composition/tokens.js";
import type { CoreConfig } from "../config/core-settings.js";

/** The demo lattice, and whether it existed before `up` ran its host. */
export interface DemoLattice {
  readonly prefix: string;
  /** Where the backend keeps it (a jetstream backend's bucket), when the backend says. */
  readonly bucket: string | undefined;
  /** False: `up`'s host creates it now. */
  readonly existed: boolean;
}

/**
 * Looks up the lattice of `config.prefix` with the backend of `container` (which holds `config`), before its
 * host opens it. Throws `OperationalError` when the backend cannot list its lattices.
 */
export async function findDemoLattice(
  container: DependencyContainer,
  config: CoreConfig,
): Promise<DemoLattice> {
  let existing: readonly string[] | undefined;
  try {
    existing = await resolveToken(container, LATTICE_LISTING)();
  } catch (error) {
    const target = resolveToken(container, BACKEND_REGISTRY).targetOf(config);
    throw new OperationalError(`cannot look up lattice ${config.prefix} on ${target}: ${errorText(error)}`, {
      cause: error,
    });
  }
  const bucket = resolveToken(container, BACKEND).describe?.().bucket;
  return {
    prefix: config.prefix,
    bucket: typeof bucket === "string" ? bucket : undefined,
    existed: existing?.includes(config.prefix) ?? false,
  };
}

/** The "lattice" line of `up`'s summary: which bucket the demo uses and who made it. */
export function demoLatticeText(lattice: DemoLattice, serverReused: boolean): string {
  const made = lattice.existed
    ? "existed already (an earlier `lattice up` or another user of this prefix made it)"
    : "created by `up`";
  const untouched = serverReused ? "; other lattices on this server are left alone" : "";
  const where = lattice.bucket === undefined ? "" : `bucket ${lattice.bucket}, `;
  return `${lattice.prefix}: ${where}${made}${untouched}`;
}
