// The life of a one-shot command that needs the backend but no replica (`lattice compact`): make the
// configured backend, check it, open it (bounded), act, close it (bounded). No initial sync is waited for.
import { setTimeout as sleep } from "node:timers/promises";
import { BackendUnavailableError } from "@lattice-cache/core";
import type { LatticeBackend } from "@lattice-cache/core/backend";
import type { Command } from "commander";
import { createHostContainer } from "../composition/host-container.js";
import { openUnderCreationPolicy, readOnly } from "../composition/lattice-creation.js";
import { BACKEND, LATTICE_LISTING, resolveToken } from "../composition/tokens.js";
import type { HostConfig } from "../config/host-config.js";
import { withHostId } from "../runtime/host-identity.js";
import type { CliContext } from "./cli-context.js";
import type { OneShotOptions } from "./one-shot.js";
import { describeOpenFailure } from "./open-failure.js";

/** How long closing may take before the command exits anyway. */
const CLOSE_DEADLINE_MS = 3000;
/** Past the backend's own open timeout (it gets connectTimeoutMs too), so its more specific error wins. */
const DEADLINE_SLACK_MS = 1000;

/** What {@link withOpenBackend} runs. */
export interface BackendSteps<T> {
  /** Checks the (unopened) backend and the configuration; runs in a CLI dry run too. Throw to refuse. */
  readonly check?: (backend: LatticeBackend, config: HostConfig) => void;
  /** The work, on the open backend. */
  readonly act: (backend: LatticeBackend, config: HostConfig) => Promise<T>;
}

/**
 * Runs `steps` against the command's backend (see the file comment). Open failures become the same
 * user-facing errors as `withReadyCache`'s; in a CLI dry run, stops after `check` and resolves `undefined`.
 * With `READ_ONLY` it never creates the lattice (a missing one: `LatticeNotFoundError`, exit code 3).
 */
export async function withOpenBackend<T>(
  ctx: CliContext,
  command: Command,
  steps: BackendSteps<T>,
  options: OneShotOptions = {},
): Promise<T | undefined> {
  const given = withHostId(options.config ?? ctx.config(command), "cli");
  const config = options.readOnly ? readOnly(given) : given;
  const container = createHostContainer(config, { registry: ctx.registry, defaultLogLevel: "warn" });
  const backend = resolveToken(container, BACKEND);
  steps.check?.(backend, config);
  if (ctx.dryRun) return undefined;
  const policy = {
    config,
    target: ctx.registry.targetOf(config),
    list: resolveToken(container, LATTICE_LISTING),
  };
  try {
    await openUnderCreationPolicy(policy, () =>
      within(backend.open(), config.connectTimeoutMs + DEADLINE_SLACK_MS, () => {
        throw new BackendUnavailableError(backend.name, `no connection within ${config.connectTimeoutMs} ms`);
      }),
    );
  } catch (error) {
    backend.close().catch(() => {});
    throw describeOpenFailure(error, ctx.registry, config);
  }
  try {
    return await steps.act(backend, config);
  } finally {
    await within(backend.close(), CLOSE_DEADLINE_MS, () => {}).catch(() => {});
  }
}

/** `work`, or what `late()` returns or throws once `ms` passed first. */
async function within<T>(work: Promise<T>, ms: number, late: () => T | never): Promise<T> {
  const timer = new AbortController();
  const deadline = sleep(ms, undefined, { signal: timer.signal, ref: false }).then(late);
  deadline.catch(() => {});
  try {
    return await Promise.race([work, deadline]);
  } finally {
    timer.abort();
  }
}
