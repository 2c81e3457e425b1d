// Runs a HostRuntime in the foreground until Ctrl-C / SIGTERM: shared by `lattice host` and `lattice up`.
import type { DependencyContainer } from "tsyringe";
import { OperationalError } from "../cli/cli-errors.js";
import type { ListeningAddress } from "../http/status-server.js";
import { HostRuntime } from "./host-runtime.js";
import { waitForStopSignal } from "./shutdown-signals.js";

/** Hooks of {@link runHostUntilStopped}. */
export interface RunHostHooks {
  /** HTTP is listening (the cache may still be connecting). */
  readonly onListening?: (address: ListeningAddress, runtime: HostRuntime) => void | Promise<void>;
  /** A stop signal arrived; the host is about to shut down. */
  readonly onStopping?: (signal: NodeJS.Signals) => void;
  /** Called on a second signal, just before a forced exit. */
  readonly onForced?: (signal: NodeJS.Signals) => void;
  /** A stop signal already being waited for (e.g. installed before earlier start-up steps). Default: a new one. */
  readonly stopSignal?: Promise<NodeJS.Signals>;
  /**
   * Runs before the host stops (after a signal or a fatal error), while its cache is still open: what runs
   * on top of the cache (the bridge) stops first. Must not throw.
   */
  readonly beforeStop?: () => Promise<void>;
}

/**
 * Starts the container's host, waits for a stop signal (or a setup error that retrying cannot fix), then
 * stops it cleanly. Resolves when stopped; rejects with the setup error.
 */
export async function runHostUntilStopped(
  container: DependencyContainer,
  hooks: RunHostHooks = {},
): Promise<void> {
  const runtime = container.resolve(HostRuntime);
  const own = hooks.stopSignal === undefined ? waitForStopSignal((s) => hooks.onForced?.(s)) : undefined;
  const stopSignal = hooks.stopSignal ?? (own as NonNullable<typeof own>).signal;
  try {
    let address: ListeningAddress;
    try {
      address = await runtime.start();
    } catch (error) {
      throw listenFailure(error);
    }
    const fatal = runtime.opened().then(
      () => new Promise<never>(() => {}),
      (error: unknown) => ({ error }),
    );
    const listening = Promise.resolve(hooks.onListening?.(address, runtime)).then(
      () => new Promise<never>(() => {}),
    );
    const outcome = await Promise.race([stopSignal.then((signal) => ({ signal })), fatal, listening]);
    if ("signal" in outcome) hooks.onStopping?.(outcome.signal);
    await hooks.beforeStop?.();
    await runtime.stop();
    if ("error" in outcome) throw outcome.error;
  } catch (error) {
    await hooks.beforeStop?.();
    await runtime.stop();
    throw error;
  } finally {
    own?.dispose();
  }
}

function listenFailure(error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE" || code === "EACCES") {
    return new OperationalError(
      `cannot listen for HTTP: ${(error as Error).message}; choose another port with --http-port (0 picks a free one)`,
      { cause: error },
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}
