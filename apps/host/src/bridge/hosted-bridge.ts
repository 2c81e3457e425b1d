// The migration bridge run by `lattice bridge`: a LegacyBridge on the host's opened cache, started (and, while
// the old hosts' NATS is out of reach, restarted with backoff) once the cache is open, stopped before it closes.
import { setTimeout as sleep } from "node:timers/promises";
import { type LatticeCache, LatticeCacheError } from "@lattice-cache/core";
import { Backoff } from "@lattice-cache/core/backend";
import { HOST_RETRY_POLICY } from "@lattice-cache/plugin";
import { legacyMigration } from "../composition/builtin-backends.js";
import type { CoreConfig } from "../config/core-settings.js";
import type { HostLogger } from "../observability/host-logger.js";

/** Errors worth retrying at start: the old hosts' NATS (or the durable backend) is not reachable yet. */
const RETRYABLE_CODES = new Set(["BACKEND_UNAVAILABLE", "NOT_READY"]);
/** How long stopping may take: queued imports are written first, but a dead backend must not hold exit up. */
const STOP_DEADLINE_MS = 10_000;

type LegacyBridge = legacyMigration.LegacyBridge;
type LegacyBridgeStatus = legacyMigration.LegacyBridgeStatus;

const NO_COUNTS: legacyMigration.LegacyBridgeCounters = legacyMigration.emptyBridgeCounters();

/** The bridge part of `/status`: `LegacyBridge.status()` with unknowns as `null` (JSON keeps them). */
export type BridgeStatusBody = {
  readonly [K in keyof LegacyBridgeStatus]-?: undefined extends LegacyBridgeStatus[K]
    ? Exclude<LegacyBridgeStatus[K], undefined> | null
    : LegacyBridgeStatus[K];
};

/** A `LegacyBridge` beside a host: started on the host's cache, stopped before the cache closes. */
export class HostedBridge {
  private bridge: LegacyBridge | undefined;
  private phase: "waiting" | "starting" | "running" | "stopping" | "stopped" = "waiting";
  private readonly abort = new AbortController();
  private starting: Promise<unknown> = Promise.resolve();
  private stopping: Promise<void> | undefined;
  private problem: string | undefined;

  /**
   * @param legacy where the old hosts are (the configured NATS servers, credentials, TLS and prefix)
   */
  constructor(
    private readonly config: CoreConfig,
    private readonly legacy: legacyMigration.LegacyBridgeOptions["legacy"],
    private readonly logger: HostLogger,
  ) {}

  /** The bridge's id: the host id, so its imports carry it as their origin too. */
  get bridgeId(): string {
    return this.config.hostId ?? "bridge";
  }

  /**
   * Starts the bridge on `cache` (it waits for the initial sync, imports what old hosts hold, then answers
   * their `.get`s) and resolves with its status once running. While the old hosts' NATS is out of reach it
   * retries with backoff; a setup error (configuration, credentials) rejects.
   */
  run(cache: LatticeCache): Promise<LegacyBridgeStatus> {
    const run = this.startOn(cache);
    this.starting = run.catch(() => {});
    return run;
  }

  /** True once running (both directions and `.get` answers): `/readyz` waits for it. */
  get running(): boolean {
    return this.phase === "running" && this.bridge?.status().state === "running";
  }

  /** The bridge's own status, or undefined before it exists (for metrics). */
  current(): LegacyBridgeStatus | undefined {
    return this.bridge?.status();
  }

  /** The `bridge` section of `/status`. */
  status(): BridgeStatusBody {
    const s = this.bridge?.status();
    const state =
      this.phase === "waiting" || this.phase === "starting"
        ? "starting"
        : this.phase === "running"
          ? (s?.state ?? "starting")
          : this.phase;
    return {
      state,
      bridgeId: s?.bridgeId ?? this.bridgeId,
      policy: s?.policy ?? this.config.bridge.policy,
      prefix: s?.prefix ?? this.config.prefix,
      connected: s?.connected ?? false,
      pendingImports: s?.pendingImports ?? 0,
      pendingBroadcasts: s?.pendingBroadcasts ?? 0,
      counters: s?.counters ?? NO_COUNTS,
      startupImport: s?.startupImport ?? null,
      lastError: this.problem ?? s?.lastError ?? null,
    };
  }

  /**
   * Stops the bridge — queued imports are written and pending broadcasts sent first — within a deadline.
   * Never closes the cache. Idempotent; never throws.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.abort.abort();
      this.phase = "stopping";
      const stopped = (async () => {
        await this.starting;
        await this.bridge?.stop();
      })().then(
        () => true,
        (error: unknown) => {
          this.logger.warn({ err: error }, "the bridge did not stop cleanly");
          return true;
        },
      );
      let timer: NodeJS.Timeout | undefined;
      const inTime = await Promise.race([
        stopped,
        new Promise<false>((resolve) => {
          timer = setTimeout(() => resolve(false), STOP_DEADLINE_MS);
          timer.unref();
        }),
      ]);
      clearTimeout(timer);
      if (!inTime) {
        this.logger.warn({ waitedMs: STOP_DEADLINE_MS }, "the bridge did not stop in time; exiting anyway");
      }
      this.phase = "stopped";
      this.logger.info({ status: this.current()?.counters }, "bridge stopped");
    })();
    return this.stopping;
  }

  private async startOn(cache: LatticeCache): Promise<LegacyBridgeStatus> {
    if (this.abort.signal.aborted) throw new Error("the bridge is stopping");
    // The constructor checks the policy against the durable backend (ordered; compare-and-swap for
    // durable-wins) and throws a ConfigurationError: that is for the user to fix, not to retry.
    const bridge = new legacyMigration.LegacyBridge({
      legacy: this.legacy,
      durable: cache,
      policy: this.config.bridge.policy,
      bridgeId: this.bridgeId,
      logger: this.logger,
    });
    this.bridge = bridge;
    this.phase = "starting";
    const backoff = new Backoff(HOST_RETRY_POLICY);
    for (;;) {
      try {
        await bridge.start();
        this.problem = undefined;
        if (!this.abort.signal.aborted) this.phase = "running";
        return bridge.status();
      } catch (error) {
        if (this.abort.signal.aborted) throw error;
        if (!LatticeCacheError.isInstance(error) || !RETRYABLE_CODES.has(error.code)) throw error;
        this.problem = error.message;
        const delay = backoff.next();
        this.logger.warn({ retryInMs: delay }, `the bridge cannot start yet: ${error.message}`);
        try {
          await sleep(delay, undefined, { signal: this.abort.signal });
        } catch {
          throw error;
        }
      }
    }
  }
}
