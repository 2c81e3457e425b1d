// A long-running host: HTTP endpoints first, then the cache, reconnecting with backoff while the backend
// is unreachable at start-up (after that the replica handles outages itself, rule 10); meanwhile it answers
// status requests on the lattice-wide status channel (the cross-host audit).
// Rules cited here: docs/semantics.md#rule-8, #rule-10.
import { setTimeout as sleep } from "node:timers/promises";
import { CompactionSchedule, errorText, type LatticeCache, LatticeCacheError } from "@lattice-cache/core";
import { Backoff, type LatticeBackend } from "@lattice-cache/core/backend";
import {
  HOST_RETRY_POLICY,
  type HostStatusReport,
  hostStatusReport,
  type StatusBus,
} from "@lattice-cache/plugin";
import { inject, injectable } from "tsyringe";
import { pluginOpenFailure } from "../cli/open-failure.js";
import type { BackendRegistry } from "../composition/backend-registry.js";
import { type LatticeLister, openUnderCreationPolicy } from "../composition/lattice-creation.js";
import { closeCacheWithin, openCacheWithDeadline } from "../composition/open-cache.js";
import {
  BACKEND_FACTORY,
  BACKEND_REGISTRY,
  CONFIG,
  LATTICE_LISTING,
  LOGGER,
  METRICS,
  STATUS_BUS_FACTORY,
} from "../composition/tokens.js";
import type { CoreConfig } from "../config/core-settings.js";
import { maskSecrets } from "../config/mask-secrets.js";
import { type ListeningAddress, StatusServer } from "../http/status-server.js";
import type { HostLogger } from "../observability/host-logger.js";
import type { HostMetrics } from "../observability/host-metrics.js";
import { LATTICE_VERSION } from "../version.js";

/** Errors worth retrying at start-up: the backend is not there yet. Anything else is a setup problem. */
const RETRYABLE_CODES = new Set(["BACKEND_UNAVAILABLE", "NOT_READY"]);
/** How long a stopping host waits for the backend to close. */
const CLOSE_DEADLINE_MS = 5000;

/** The `lattice host` process: a live replica plus its HTTP endpoints. */
@injectable()
export class HostRuntime {
  private cache: LatticeCache | undefined;
  /** This host's share of tombstone compaction (core's schedule: about once an hour, one host at a time). */
  private compaction: CompactionSchedule | undefined;
  private readonly abort = new AbortController();
  private readonly openedPromise: Promise<LatticeCache>;
  private resolveOpened!: (cache: LatticeCache) => void;
  private rejectOpened!: (error: unknown) => void;
  private stopping: Promise<void> | undefined;
  private bus: StatusBus | undefined;
  private answeringPromise: Promise<void> = Promise.resolve();

  constructor(
    @inject(CONFIG) private readonly config: CoreConfig,
    @inject(LOGGER) private readonly logger: HostLogger,
    @inject(METRICS) private readonly metrics: HostMetrics,
    @inject(BACKEND_FACTORY) private readonly createBackend: () => LatticeBackend,
    @inject(BACKEND_REGISTRY) private readonly registry: BackendRegistry,
    @inject(StatusServer) private readonly server: StatusServer,
    @inject(STATUS_BUS_FACTORY) private readonly createStatusBus: () => StatusBus | undefined,
    @inject(LATTICE_LISTING) private readonly listLattices: LatticeLister,
  ) {
    this.openedPromise = new Promise((resolve, reject) => {
      this.resolveOpened = resolve;
      this.rejectOpened = reject;
    });
    this.openedPromise.catch(() => {});
  }

  /**
   * Starts HTTP, then — in the background — opens the cache and starts answering on the status channel.
   * Resolves with the HTTP address.
   */
  async start(): Promise<ListeningAddress> {
    const address = await this.server.start();
    this.logger.info(
      { config: maskSecrets(this.config, this.registry.configSchema()), http: address.url },
      "host started",
    );
    void this.connect();
    this.answeringPromise = this.answerStatusRequests();
    return address;
  }

  /** Resolves once the first attempt to listen on the status channel was made (retries go on after it). */
  answering(): Promise<void> {
    return this.answeringPromise;
  }

  /** What this host answers on the status channel: its replica's state, revision and digest. */
  statusReport(): HostStatusReport {
    return hostStatusReport(this.cache, {
      hostId: this.config.hostId ?? "unnamed",
      backend: this.config.backend,
      prefix: this.config.prefix,
      version: LATTICE_VERSION,
      http: this.server.listening?.advertised ?? null,
    });
  }

  /** Resolves with the cache once the backend is open; rejects on a setup error that retrying cannot fix. */
  opened(): Promise<LatticeCache> {
    return this.openedPromise;
  }

  /** Resolves once the initial sync completed (rule 8); `timeoutMs` bounds the whole wait. */
  async ready(timeoutMs?: number): Promise<LatticeCache> {
    const started = Date.now();
    const cache = await (timeoutMs === undefined
      ? this.openedPromise
      : withDeadline(this.openedPromise, timeoutMs, this.target()));
    await cache.ready(timeoutMs === undefined ? undefined : Math.max(1, timeoutMs - (Date.now() - started)));
    return cache;
  }

  /** The HTTP server (for its address and status body). */
  get http(): StatusServer {
    return this.server;
  }

  /** Closes HTTP, then the cache (and with it the backend). Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.server.shuttingDown();
      this.abort.abort();
      this.compaction?.stop();
      await this.bus
        ?.close()
        .catch((error: unknown) => this.logger.warn({ err: error }, "closing the status channel failed"));
      await this.server.stop();
      if (this.cache && !(await closeCacheWithin(this.cache, CLOSE_DEADLINE_MS))) {
        this.logger.warn(
          { waitedMs: CLOSE_DEADLINE_MS },
          "the backend did not close in time; leaving it to process exit",
        );
      }
      this.logger.info({}, "host stopped");
    })();
    return this.stopping;
  }

  private async answerStatusRequests(): Promise<void> {
    try {
      this.bus = this.createStatusBus();
      if (!this.bus) {
        this.logger.info(
          { backend: this.config.backend },
          "this backend has no status channel: no cross-host audit",
        );
        return;
      }
      await this.bus.serve(() => this.statusReport());
    } catch (error) {
      // The audit is a diagnostic: a host without it still serves its replica.
      this.logger.warn({ err: error }, "cannot answer status requests");
    }
  }

  private target(): string {
    return this.registry.targetOf(this.config);
  }

  private async connect(): Promise<void> {
    const backoff = new Backoff(HOST_RETRY_POLICY);
    while (!this.abort.signal.aborted) {
      try {
        const policy = { config: this.config, target: this.target(), list: this.listLattices };
        const cache = await openUnderCreationPolicy(policy, () =>
          openCacheWithDeadline(this.createBackend(), this.config, this.logger),
        );
        if (this.abort.signal.aborted) {
          await cache.close();
          return;
        }
        this.cache = cache;
        this.compaction = CompactionSchedule.start({
          backend: cache.backend,
          hostId: cache.hostId,
          retentionMs: this.config.tombstoneRetention,
          logger: this.logger,
        });
        this.metrics.observe(cache);
        this.server.attach(cache);
        this.resolveOpened(cache);
        cache.ready().then(
          () => this.logger.info({ status: summary(cache) }, "host ready: initial sync complete"),
          () => {},
        );
        return;
      } catch (error) {
        const message = errorText(error);
        if (!isRetryable(error)) {
          this.logger.error({ err: error }, "cannot open the backend");
          // The server found is not what the configuration needs: said in the plugin's words, when it knows.
          const described = pluginOpenFailure(error, this.registry, this.config);
          this.server.reportProblem(described?.message ?? message);
          this.rejectOpened(described ?? error);
          return;
        }
        const problem = `cannot reach ${this.target()}: ${message}`;
        this.server.reportProblem(problem);
        const delay = backoff.next();
        this.logger.warn({ retryInMs: delay }, problem);
        try {
          await sleep(delay, undefined, { signal: this.abort.signal });
        } catch {
          return;
        }
      }
    }
  }
}

function isRetryable(error: unknown): boolean {
  return LatticeCacheError.isInstance(error) ? RETRYABLE_CODES.has(error.code) : false;
}

function summary(cache: LatticeCache): Record<string, unknown> {
  const s = cache.status();
  return { state: s.state, revision: s.revision, counts: s.counts, digest: s.digest };
}

function withDeadline<T>(promise: Promise<T>, ms: number, target: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`could not open ${target} within ${ms} ms`)), ms);
    promise.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}
