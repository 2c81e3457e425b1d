// The injection tokens of the host's tsyringe container. Each is a symbol branded with the type it resolves to.
import type { LatticeCache } from "@lattice-cache/core";
import type { LatticeBackend } from "@lattice-cache/core/backend";
import type { StatusBus } from "@lattice-cache/plugin";
import type { DependencyContainer } from "tsyringe";
import type { CoreConfig } from "../config/core-settings.js";
import type { HostLogger } from "../observability/host-logger.js";
import type { HostMetrics } from "../observability/host-metrics.js";
import type { BackendRegistry } from "./backend-registry.js";

/** A container token that remembers the type it resolves to. */
export type Token<T> = symbol & { readonly __resolvesTo?: T };

function token<T>(name: string): Token<T> {
  return Symbol.for(`lattice-cache.host.${name}`) as Token<T>;
}

/** The validated configuration (the core settings, and the sections of the registry's backends). */
export const CONFIG: Token<CoreConfig> = token("Config");
/** The pino logger (JSON on stderr). */
export const LOGGER: Token<HostLogger> = token("Logger");
/** `HostMetrics`: the prom-client registry with the cache's gauges and counters. */
export const METRICS: Token<HostMetrics> = token("Metrics");
/** The registry of backend factories, keyed by backend name. */
export const BACKEND_REGISTRY: Token<BackendRegistry> = token("BackendRegistry");
/** Makes a new, unopened backend of the configured kind each time it is called. */
export const BACKEND_FACTORY: Token<() => LatticeBackend> = token("BackendFactory");
/** The configured backend (one instance per container, unopened until the cache opens it). */
export const BACKEND: Token<LatticeBackend> = token("Backend");
/** Makes the configured backend's status channel (undefined when the backend has none). */
export const STATUS_BUS_FACTORY: Token<() => StatusBus | undefined> = token("StatusBusFactory");
/** Lists the lattices on the configured backend (undefined when it cannot tell); see lattice-creation.ts. */
export const LATTICE_LISTING: Token<() => Promise<readonly string[] | undefined>> = token("LatticeListing");
/** The opened `LatticeCache`; registered by `openLatticeCache` once the backend is open. */
export const LATTICE_CACHE: Token<LatticeCache> = token("LatticeCache");

/** Resolves `token` from `container` with its branded type. */
export function resolveToken<T>(container: DependencyContainer, t: Token<T>): T {
  return container.resolve<T>(t);
}
