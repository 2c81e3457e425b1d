// Composition root: config → tsyringe container with Config, Logger, Metrics, the backend registry and
// the Backend; the LatticeCache joins it once opened (opening is asynchronous, tsyringe factories are not).
import type { LatticeCache } from "@lattice-cache/core";
import { type DependencyContainer, instanceCachingFactory, container as rootContainer } from "tsyringe";
import type { CoreConfig, LogLevel } from "../config/core-settings.js";
import { StatusServer } from "../http/status-server.js";
import { createHostLogger, type HostLogger } from "../observability/host-logger.js";
import { HostMetrics } from "../observability/host-metrics.js";
import { HostRuntime } from "../runtime/host-runtime.js";
import type { BackendRegistry } from "./backend-registry.js";
import { createDefaultBackendRegistry } from "./builtin-backends.js";
import { openUnderCreationPolicy } from "./lattice-creation.js";
import { openCacheWithDeadline } from "./open-cache.js";
import { pluginHostOf } from "./plugin-host.js";
import {
  BACKEND,
  BACKEND_FACTORY,
  BACKEND_REGISTRY,
  CONFIG,
  LATTICE_CACHE,
  LATTICE_LISTING,
  LOGGER,
  METRICS,
  resolveToken,
  STATUS_BUS_FACTORY,
} from "./tokens.js";

/** Options of {@link createHostContainer}. */
export interface HostContainerOptions {
  /** The backend registry. Default: every backend this build ships. */
  readonly registry?: BackendRegistry;
  /** The logger. Default: pino on stderr at `config.logLevel`, else `defaultLogLevel`, in `config.logFormat`. */
  readonly logger?: HostLogger;
  /** Level used when the config sets none. Default `info`. */
  readonly defaultLogLevel?: LogLevel;
  /** Parent container. Default: tsyringe's root container (each host gets its own child). */
  readonly parent?: DependencyContainer;
}

/**
 * A child container holding everything one host needs — Config, Logger, Metrics, the backend registry, the
 * Backend, the status-bus factory, the StatusServer and the HostRuntime — except the cache (see
 * {@link openLatticeCache}).
 */
export function createHostContainer(
  config: CoreConfig,
  options: HostContainerOptions = {},
): DependencyContainer {
  const c = (options.parent ?? rootContainer).createChildContainer();
  const registry = options.registry ?? createDefaultBackendRegistry();
  c.register(CONFIG, { useValue: config });
  c.register(BACKEND_REGISTRY, { useValue: registry });
  c.register(LOGGER, {
    useValue:
      options.logger ??
      createHostLogger(config.logLevel ?? options.defaultLogLevel ?? "info", config.logFormat),
  });
  c.register(METRICS, { useFactory: instanceCachingFactory(() => new HostMetrics(config)) });
  c.registerSingleton(StatusServer);
  c.registerSingleton(HostRuntime);
  c.register(BACKEND_FACTORY, {
    useFactory: instanceCachingFactory((dc) => () => registry.create(config, pluginHostOf(dc))),
  });
  c.register(BACKEND, {
    useFactory: instanceCachingFactory((dc) => resolveToken(dc, BACKEND_FACTORY)()),
  });
  c.register(LATTICE_LISTING, {
    useFactory: instanceCachingFactory((dc) => () => registry.latticesOf(config, pluginHostOf(dc))),
  });
  c.register(STATUS_BUS_FACTORY, {
    useFactory: instanceCachingFactory((dc) => () => registry.statusBusOf(config, pluginHostOf(dc))),
  });
  return c;
}

/**
 * Opens the container's backend as a `LatticeCache` (under the lattice creation policy: lattice-creation.ts),
 * registers it under `LATTICE_CACHE` and points the metrics at it. Does not wait for the initial sync: call `cache.ready()`.
 */
export async function openLatticeCache(c: DependencyContainer): Promise<LatticeCache> {
  const config = resolveToken(c, CONFIG);
  const registry = resolveToken(c, BACKEND_REGISTRY);
  const policy = { config, target: registry.targetOf(config), list: resolveToken(c, LATTICE_LISTING) };
  const cache = await openUnderCreationPolicy(policy, () =>
    openCacheWithDeadline(resolveToken(c, BACKEND), config, resolveToken(c, LOGGER)),
  );
  c.register(LATTICE_CACHE, { useValue: cache });
  resolveToken(c, METRICS).observe(cache);
  return cache;
}
