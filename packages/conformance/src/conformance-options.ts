// The suite's knobs, their defaults, and the environment variables that replay a failing property run.
// Rules cited here: docs/semantics.md#rule-2.
import {
  ConfigurationError,
  DEFAULT_REPLICA_TIMING,
  type Logger,
  type ReplicaTiming,
  silentLogger,
} from "@lattice-cache/core";
import type { ConformanceTarget } from "./conformance-target.js";

/** Environment variable holding a fast-check seed to replay (same as `options.seed`). */
export const SEED_ENV = "LATTICE_CONFORMANCE_SEED";
/** Environment variable holding a fast-check counterexample path to replay (same as `options.path`). */
export const PATH_ENV = "LATTICE_CONFORMANCE_PATH";

/** Options of `runConformanceSuite` and `conformanceTests`. */
export interface ConformanceOptions {
  /** Runs of each property test (rule 2). Default 25. */
  propertyRuns?: number;
  /** Replay a failing seed; also read from env `LATTICE_CONFORMANCE_SEED`. Default: a random seed, printed on failure. */
  seed?: number;
  /** Replay one counterexample of `seed` (fast-check path); also read from env `LATTICE_CONFORMANCE_PATH`. Default: none. */
  path?: string;
  /** Concurrent `update`s in the rule-5 lost-edit test, spread over three replicas. Default 50. */
  concurrentUpdates?: number;
  /** How long the suite waits for `ready()`; a backend that never syncs fails within it. Default 30 000 ms. */
  readyTimeoutMs?: number;
  /** How long the suite polls for an eventual condition (catch-up, stale state, resync). Default 20 000 ms. */
  waitTimeoutMs?: number;
  /** Timeout of one test (property tests get five times it). Default 60 000 ms. */
  testTimeoutMs?: number;
  /** Logger for the caches the suite opens (pass pino to debug an adapter). Default: silent. */
  logger?: Logger;
}

/** Options with every default applied, plus the replica timing of the target. */
export interface ResolvedOptions {
  readonly propertyRuns: number;
  readonly seed: number | undefined;
  readonly path: string | undefined;
  readonly concurrentUpdates: number;
  readonly readyTimeoutMs: number;
  readonly waitTimeoutMs: number;
  readonly testTimeoutMs: number;
  readonly logger: Logger;
  readonly timing: ReplicaTiming;
}

/** The suite's replica timing unless the target widens it: a silent stall is noticed within about 2.5 s. */
export const SUITE_REPLICA_TIMING: Partial<ReplicaTiming> = {
  stallCheckIntervalMs: 200,
  // The silent-stall tests wrap a backend so its feed stops without any signal: only the idle fallback finds
  // that, and the suite makes it fast. A backend's own signals are tested in its package.
  idleCheckIntervalMs: 1000,
  stallTimeoutMs: 1000,
};

/** Applies defaults and the replay environment variables; throws `ConfigurationError` on nonsense. */
export function resolveOptions(
  target: ConformanceTarget,
  options: ConformanceOptions = {},
  env: Readonly<Record<string, string | undefined>> = process.env,
): ResolvedOptions {
  const positive = (field: keyof ConformanceOptions, value: number | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new ConfigurationError(`conformance option ${field} must be a positive integer (got ${value})`, {
        field,
      });
    }
    return value;
  };
  return {
    propertyRuns: positive("propertyRuns", options.propertyRuns, 25),
    seed: options.seed ?? seedFromEnv(env[SEED_ENV]),
    path: options.path ?? (env[PATH_ENV] || undefined),
    concurrentUpdates: positive("concurrentUpdates", options.concurrentUpdates, 50),
    readyTimeoutMs: positive("readyTimeoutMs", options.readyTimeoutMs, 30_000),
    waitTimeoutMs: positive("waitTimeoutMs", options.waitTimeoutMs, 20_000),
    testTimeoutMs: positive("testTimeoutMs", options.testTimeoutMs, 60_000),
    logger: options.logger ?? silentLogger,
    timing: { ...DEFAULT_REPLICA_TIMING, ...SUITE_REPLICA_TIMING, ...target.timing },
  };
}

function seedFromEnv(raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === "") return undefined;
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed)) {
    throw new ConfigurationError(`${SEED_ENV} must be an integer seed (got ${JSON.stringify(raw)})`, {
      field: SEED_ENV,
    });
  }
  return seed;
}
