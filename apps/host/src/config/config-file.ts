// Reads a YAML or JSON config file into a layer; parse errors name the file and the line.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ConfigurationError } from "@lattice-cache/core";
import { parse as parseYaml } from "yaml";
import { type ConfigLayer, isPlainObject, layerFromTree } from "./config-layer.js";

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
  let tree: unknown;
  try {
    tree = absolute.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigurationError(
      `config file ${absolute} is not valid ${absolute.endsWith(".json") ? "JSON" : "YAML"}: ${reason}`,
      {
        field: "config",
        cause: error,
      },
    );
  }
  if (tree === null || tree === undefined) tree = {};
  if (!isPlainObject(tree)) {
    throw new ConfigurationError(`config file ${absolute} must hold a mapping of settings at the top level`, {
      field: "config",
    });
  }
  return layerFromTree(tree, `config file ${absolute}`);
}
