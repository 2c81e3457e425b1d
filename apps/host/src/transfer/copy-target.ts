// `lattice copy`'s target: a second configuration, from `--to KEY=VALUE` settings (the config file's keys,
// dotted: `backend=redis`, `redis.url=…`, `prefix=…`) over an optional `--to-config FILE`, validated by the same
// schema as every configuration — so a bad target setting gets the same message, naming the `--to` that set it.
// The environment and the global flags are the source's: they do not reach the target; what is unset defaults —
// except the prefix, which defaults to the source's (a move keeps its lattice's name unless told otherwise).
import { resolve } from "node:path";
import { UsageError } from "../cli/cli-errors.js";
import type { BackendRegistry } from "../composition/backend-registry.js";
import { readConfigFile } from "../config/config-file.js";
import { type ConfigLayer, ConfigLayerBuilder, mergeLayers } from "../config/config-layer.js";
import type { HostConfig } from "../config/host-config.js";
import { validateConfig } from "../config/validate-config.js";

/** Parses one `--to` value (commander collects them). */
export function collectAssignment(text: string, previous: readonly string[] = []): string[] {
  return [...previous, text];
}

/** The target's configuration. Throws `UsageError` for a malformed `--to`, `ConfigurationError` for a bad setting. */
export function copyTargetConfig(
  registry: BackendRegistry,
  assignments: readonly string[],
  file: string | undefined,
  sourcePrefix: string,
): HostConfig {
  if (assignments.length === 0 && file === undefined) {
    throw new UsageError(
      "name the target with --to KEY=VALUE (e.g. --to backend=redis --to redis.url=…) or --to-config FILE",
    );
  }
  const layers: ConfigLayer[] = [
    new ConfigLayerBuilder().set("prefix", sourcePrefix, "the source's prefix").build(),
  ];
  if (file !== undefined) layers.push(readConfigFile(file));
  const flags = new ConfigLayerBuilder();
  for (const text of assignments) {
    const at = text.indexOf("=");
    const path = at < 0 ? "" : text.slice(0, at).trim();
    if (!/^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$/.test(path)) {
      throw new UsageError(
        `--to ${JSON.stringify(text)}: expected KEY=VALUE with a setting's dotted key, e.g. backend=redis or redis.url=redis://host:6379`,
      );
    }
    flags.set(path, text.slice(at + 1).trim(), `--to ${path}`);
  }
  layers.push(flags.build());
  return validateConfig(mergeLayers(layers), {
    backends: registry.names,
    sections: registry.configSections,
    configFile: file === undefined ? undefined : resolve(file),
  });
}
