// Secrets never leave the process: printed and logged configs go through this first. What is secret is
// the schema's to say (`secret` in a setting's facts); how a URL is shown is core's `redactUrl`.

import { REDACTED, redactUrl } from "@lattice-cache/core";
import { isPlainObject } from "./config-layer.js";
import { HOST_CONFIG_SCHEMA } from "./host-config.js";
import type { HostConfigSchema } from "./host-config-schema.js";
import { settingsCatalog } from "./settings-catalog.js";

/**
 * A copy of `config` with every secret setting of `schema` replaced by `***` and its URL settings shown by
 * `redactUrl` of `@lattice-cache/core` (passwords, tokens and secret parameters such as `?password=` masked,
 * user names kept). Default schema: the host's with the built-in backends.
 */
export function maskSecrets<T extends object>(config: T, schema: HostConfigSchema = HOST_CONFIG_SCHEMA): T {
  let masked: Record<string, unknown> = config as Record<string, unknown>;
  for (const { path, facts } of settingsCatalog(schema).settings) {
    if (facts.secret === undefined) continue;
    const hide =
      facts.secret === true
        ? () => REDACTED
        : (value: unknown) =>
            typeof value === "string"
              ? redactUrl(value)
              : Array.isArray(value)
                ? value.map((item) => (typeof item === "string" ? redactUrl(item) : item))
                : value;
    masked = replaceAt(masked, path.split("."), hide);
  }
  return masked as T;
}

/** `node` with the value at `parts` replaced by `hide(value)`, copying only the objects on the way. */
function replaceAt(
  node: Record<string, unknown>,
  parts: readonly string[],
  hide: (value: unknown) => unknown,
): Record<string, unknown> {
  const [head, ...rest] = parts as [string, ...string[]];
  if (!Object.hasOwn(node, head) || node[head] === undefined) return node;
  const value = node[head];
  if (rest.length === 0) return { ...node, [head]: hide(value) };
  return isPlainObject(value) ? { ...node, [head]: replaceAt(value, rest, hide) } : node;
}
