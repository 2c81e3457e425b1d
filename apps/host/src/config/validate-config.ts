// Turns the merged raw layers into a validated configuration with the schema, or throws a ConfigurationError
// naming every bad field, the source that set it and the allowed values (one line each).
import { ConfigurationError } from "@lattice-cache/core";
import { allowedOfIssue, type ConfigSection, settingProblemText } from "@lattice-cache/plugin";
import type { z } from "zod";
import type { ConfigLayer } from "./config-layer.js";
import {
  BUILTIN_CONFIG_SECTIONS,
  HOST_CONFIG_SCHEMA,
  type HostConfig,
  withoutUndefined,
} from "./host-config.js";
import { type HostConfigSchema, hostConfigSchema } from "./host-config-schema.js";
import { type SettingsCatalog, settingsCatalog } from "./settings-catalog.js";

/** The keys each mapping of the built-in schema accepts (`""`: the top level). */
export const KNOWN_KEYS: Readonly<Record<string, readonly string[]>> =
  settingsCatalog(HOST_CONFIG_SCHEMA).knownKeys;

/** What validation needs to know beyond the config itself. */
export interface ValidationContext {
  /** Backend names in the registry (the allowed values of `backend`; the first is the default). */
  readonly backends: readonly string[];
  /** Their config sections. Default: the built-in backends' sections. */
  readonly sections?: readonly ConfigSection[];
  /** The config file read, if any. */
  readonly configFile?: string;
}

/**
 * Validates the merged layer against the schema and applies the defaults.
 * Throws `ConfigurationError` with `field` (dotted path) and, for enumerations, `allowed`.
 */
export function validateConfig(merged: ConfigLayer, context: ValidationContext): HostConfig {
  const schema = hostConfigSchema({
    backends: context.backends,
    sections: context.sections ?? BUILTIN_CONFIG_SECTIONS,
  });
  const result = schema.safeParse(merged.values);
  if (!result.success) throw configurationError(result.error.issues, merged, schema);
  return withoutUndefined({ ...result.data, configFile: context.configFile }) as HostConfig;
}

/** One problem of a configuration: the field it is about and its message. */
interface ConfigProblem {
  readonly field: string;
  readonly allowed: readonly string[] | undefined;
  readonly text: string;
}

/**
 * Every problem (unknown keys first: a typo explains the rest), one line each, as one ConfigurationError
 * whose `field` and `allowed` are the first problem's.
 */
function configurationError(
  issues: readonly z.core.$ZodIssue[],
  layer: ConfigLayer,
  schema: HostConfigSchema,
): ConfigurationError {
  const catalog = settingsCatalog(schema);
  const unknown = issues
    .filter((issue): issue is z.core.$ZodIssueUnrecognizedKeys => issue.code === "unrecognized_keys")
    .sort((a, b) => a.path.length - b.path.length)
    .flatMap((issue) => issue.keys.map((key) => unknownKeyProblem(issue.path, key, layer, catalog)));
  const others = issues
    .filter((issue) => issue.code !== "unrecognized_keys")
    .map((issue) => {
      const field = fieldOf(issue.path, catalog);
      return problem(field, issue.message, sourcesOf(field, layer), allowedOfIssue(issue));
    });
  const seen = new Set<string>();
  const problems = [...unknown, ...others].filter((p) => !seen.has(p.text) && seen.add(p.text));
  const first = problems[0] as ConfigProblem;
  return new ConfigurationError(problems.map((p) => p.text).join("\n"), {
    field: first.field,
    allowed: first.allowed,
  });
}

/** A key no setting or mapping of `section` has. */
function unknownKeyProblem(
  path: readonly PropertyKey[],
  key: string,
  layer: ConfigLayer,
  catalog: SettingsCatalog,
): ConfigProblem {
  const section = path.map(String).join(".");
  // Quoted unless a plain word, so an empty or dotted key still makes a field name a reader can find.
  const name = /^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key);
  const raw = section ? `${section}.${key}` : key;
  return problem(
    section ? `${section}.${name}` : name,
    "is not a known setting",
    layer.sources.get(raw),
    (catalog.knownKeys[section] ?? []).map((k) => (section ? `${section}.${k}` : k)),
  );
}

/** The setting or mapping an issue is about (an index into a list is part of its setting). */
function fieldOf(path: readonly PropertyKey[], catalog: SettingsCatalog): string {
  const parts = path.map(String);
  for (let n = parts.length; n > 0; n--) {
    const candidate = parts.slice(0, n).join(".");
    if (catalog.setting(candidate) || catalog.knownKeys[candidate]) return candidate;
  }
  return parts.join(".") || "config";
}

/**
 * Who set `field` — or, for a mapping (`nats.auth`), who set the settings in it; for a setting missing
 * beside another (`nats.tls.keyFile` without the `certFile` given), who set its neighbours.
 */
function sourcesOf(field: string, layer: ConfigLayer): string | undefined {
  const parent = field.includes(".") ? field.slice(0, field.lastIndexOf(".")) : undefined;
  for (const path of parent === undefined ? [field] : [field, parent]) {
    const own = layer.sources.get(path);
    if (own !== undefined) return own;
    const within = new Set<string>();
    for (const [p, source] of layer.sources) if (p.startsWith(`${path}.`)) within.add(source);
    if (within.size > 0) return [...within].join(", ");
  }
  return undefined;
}

function problem(
  field: string,
  text: string,
  source: string | undefined,
  allowed: readonly string[] | undefined,
): ConfigProblem {
  // The problem as a backend library words it too (settingProblemText), then who set it.
  const from = source ? ` (set by ${source})` : "";
  return {
    field,
    allowed,
    text: `invalid configuration: ${settingProblemText(field, text, allowed)}${from}`,
  };
}
