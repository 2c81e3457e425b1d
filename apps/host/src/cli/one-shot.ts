// The life of a one-shot command: open the cache (bounded), wait for the initial sync (bounded), act, close.
import { errorText, type LatticeCache } from "@lattice-cache/core";
import type { Command } from "commander";
import { createHostContainer, openLatticeCache } from "../composition/host-container.js";
import { readOnly } from "../composition/lattice-creation.js";
import { closeCacheWithin } from "../composition/open-cache.js";
import type { HostConfig } from "../config/host-config.js";
import { withHostId } from "../runtime/host-identity.js";
import type { CliContext } from "./cli-context.js";
import { OperationalError } from "./cli-errors.js";
import { describeOpenFailure } from "./open-failure.js";

/** How long closing may take before the command exits anyway (a dead server must not hold it up). */
const CLOSE_DEADLINE_MS = 3000;

/** How a one-shot command uses the lattice. */
export interface OneShotOptions {
  /**
   * The command only reads: it never creates the lattice (the backend opens it in its "must exist" mode),
   * and a missing one fails with `LatticeNotFoundError` (exit code 3). Default false: the command may
   * create it as `createLattice` allows.
   */
  readonly readOnly?: boolean;
  /** The configuration to use instead of the command's (`lattice copy`'s target). Default: the command's. */
  readonly config?: HostConfig;
}

/** {@link OneShotOptions} of a command that only reads. */
export const READ_ONLY: OneShotOptions = { readOnly: true };

/**
 * Runs `act` against a ready cache built from the command's configuration. Connection and sync failures
 * become an `OperationalError` whose message names what failed and where (exit code 1). In a dry run,
 * stops after loading the configuration and resolves `undefined`.
 */
export async function withReadyCache<T>(
  ctx: CliContext,
  command: Command,
  act: (cache: LatticeCache, config: HostConfig) => Promise<T> | T,
  options: OneShotOptions = {},
): Promise<T | undefined> {
  const given = withHostId(options.config ?? ctx.config(command), "cli");
  const config = options.readOnly ? readOnly(given) : given;
  if (ctx.dryRun) return undefined;
  const container = createHostContainer(config, { registry: ctx.registry, defaultLogLevel: "warn" });
  const target = ctx.registry.targetOf(config);
  let cache: LatticeCache;
  try {
    cache = await openLatticeCache(container);
  } catch (error) {
    throw describeOpenFailure(error, ctx.registry, config);
  }
  try {
    try {
      await cache.ready(config.readyTimeoutMs);
    } catch (error) {
      throw new OperationalError(
        `the initial sync with ${target} did not complete within ${config.readyTimeoutMs} ms ` +
          `(${errorText(error)}); raise --ready-timeout or check the backend with \`lattice doctor\``,
        { cause: error },
      );
    }
    return await act(cache, config);
  } finally {
    await closeCacheWithin(cache, CLOSE_DEADLINE_MS);
  }
}
