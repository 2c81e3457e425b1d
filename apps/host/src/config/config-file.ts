// Reads a YAML or JSON config file into a layer; parse errors name the file and the line.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ConfigurationError, errorText } from "@lattice-cache/core";
import { parse as parseYaml } from "yaml";
import { type ConfigLayer, isPlainObject, layerFromTree } from "./config-layer.js";

/** How a config text is parsed. */
export type ConfigFormat = "yaml" | "json";

/**
 * Reads `path` (`.json` as JSON, anything else as YAML — YAML also accepts JSON) into a layer.
 * Throws `ConfigurationError` (field `config`) when it is missing, unreadable, malformed or not a mapping.
 */
export function readConfigFile(path: string): ConfigLayer {
  const absolute = resolve(path);
  let text: string;
  try {
    text = readFileSync(absolute, "utf8");
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String(error);
    throw new ConfigurationError(`cannot read config file ${absolute}: ${reason}`, {
      field: "config",
      cause: error,
    });
  }
  return parseConfigText(text, `config file ${absolute}`, absolute.endsWith(".json") ? "json" : "yaml");
}

/**
 * Parses the text of a config file into a layer whose values come from `source`. Throws `ConfigurationError`
 * (field `config`) for malformed text, a top level that is not a mapping, or a recursive YAML alias.
 */
export function parseConfigText(text: string, source: string, format: ConfigFormat): ConfigLayer {
  let tree: unknown;
  try {
    // maxAliasCount bounds "billion laughs" alias expansion (the yaml default, said here); warnings (unknown
    // tags, directives) would go to process warnings on stderr, so only errors count.
    tree = format === "json" ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 100, logLevel: "error" });
  } catch (error) {
    const reason = errorText(error);
    throw new ConfigurationError(`${source} is not valid ${format === "json" ? "JSON" : "YAML"}: ${reason}`, {
      field: "config",
      cause: error,
    });
  }
  if (tree === null || tree === undefined) tree = {};
  if (!isPlainObject(tree)) {
    throw new ConfigurationError(`${source} must hold a mapping of settings at the top level`, {
      field: "config",
    });
  }
  assertAcyclic(tree, "", new Set());
  return layerFromTree(tree, source);
}

/** A YAML alias to its own ancestor makes a cycle, which no setting can be; name where it happens. */
function assertAcyclic(node: unknown, path: string, ancestors: Set<unknown>): void {
  if (typeof node !== "object" || node === null) return;
  if (ancestors.has(node)) {
    throw new ConfigurationError(
      `invalid configuration: ${path || "the top level"} refers to itself (a recursive YAML alias)`,
      { field: path || "config" },
    );
  }
  ancestors.add(node);
  for (const [key, value] of Object.entries(node))
    assertAcyclic(value, path ? `${path}.${key}` : key, ancestors);
  ancestors.delete(node);
}
