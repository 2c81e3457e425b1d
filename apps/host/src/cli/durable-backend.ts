// `lattice bridge` and `lattice migrate` move data off the generation-1 broadcast: their target must be a
// durable, ordered backend, never the broadcast itself.
import type { CoreConfig } from "../config/core-settings.js";
import { UsageError } from "./cli-errors.js";

/** The backend that is the generation-1 broadcast (the source of a migration, never its target). */
const BROADCAST_BACKEND = "legacy";

/** Throws a `UsageError` (exit 2) when `config` selects the legacy broadcast as the durable backend. */
export function assertDurableBackend(config: CoreConfig, command: string): void {
  if (config.backend !== BROADCAST_BACKEND) return;
  throw new UsageError(
    `\`lattice ${command}\` writes to a durable backend, but backend is "${BROADCAST_BACKEND}" — the ` +
      "generation-1 broadcast it migrates from; choose jetstream (the default) or redis with --backend, " +
      "LATTICE_BACKEND or backend: in the config file",
  );
}
