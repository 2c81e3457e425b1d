// The configuration of this build of the host: the core settings plus the sections of the backends it
// ships, as one zod schema (HOST_CONFIG_SCHEMA) whose validated output is HostConfig.

import type { ConfigSection } from "@lattice-cache/plugin";
import { type BuiltinSectionsConfig, createDefaultBackendRegistry } from "../composition/builtin-backends.js";
import type { CoreConfig } from "./core-settings.js";
import type { HostConfigSchema } from "./host-config-schema.js";

/**
 * The effective configuration of one `lattice` invocation, after file < env < flags and validation, with
 * the sections of the built-in backends (`nats`, `redis`, `postgres`). A registry of other backends adds theirs (each
 * backend reads its own through its registration's type) and lacks those of backends it does not hold.
 */
export type HostConfig = CoreConfig & BuiltinSectionsConfig;

const builtin = createDefaultBackendRegistry();

/** The config sections of the built-in backends. */
export const BUILTIN_CONFIG_SECTIONS: readonly ConfigSection[] = builtin.configSections;

/** The schema of the host's configuration with the built-in backends (what `lattice` uses). */
export const HOST_CONFIG_SCHEMA: HostConfigSchema = builtin.configSchema();

/** Every default in one place (what `config print` shows when nothing is set). */
export const DEFAULT_CONFIG: HostConfig = withoutUndefined(
  HOST_CONFIG_SCHEMA.parse({}),
) as unknown as HostConfig;

/** `value` without undefined object properties, all the way down (printed configs and deep-equal tests stay clean). */
export function withoutUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutUndefined) as T;
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, withoutUndefined(v)]),
  ) as T;
}
