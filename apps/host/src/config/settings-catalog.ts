// Reads a configuration schema back: every setting with its dotted path and facts, and the keys each
// mapping accepts. Env and flag bindings, masking, error messages and the README derive from this.

import { SETTING_FACTS, type SettingFacts } from "@lattice-cache/plugin";
import type { z } from "zod";

/** One setting of a schema. */
export interface CatalogSetting {
  /** Dotted path: `nats.bucket.storage`. */
  readonly path: string;
  /** Its schema (with default and the unset-null handling). */
  readonly schema: z.ZodType;
  /** Its facts (env, flag, secret, description). */
  readonly facts: SettingFacts;
  /** The allowed values, when it takes one of a few. */
  readonly choices?: readonly string[];
  /** The smallest and largest value, when it is a number. */
  readonly range?: readonly [number, number];
  /** Its default value, when it has one. */
  readonly defaultValue?: unknown;
}

/** A schema, read back. */
export interface SettingsCatalog {
  /** Every setting, in schema order. */
  readonly settings: readonly CatalogSetting[];
  /** Mapping path (`""` for the top level) → the keys it accepts. */
  readonly knownKeys: Readonly<Record<string, readonly string[]>>;
  /** The setting at `path`, if any. */
  setting(path: string): CatalogSetting | undefined;
}

const catalogs = new WeakMap<z.ZodType, SettingsCatalog>();

/** The catalog of `schema` (a mapping of settings and groups); computed once per schema. */
export function settingsCatalog(schema: z.ZodType): SettingsCatalog {
  let catalog = catalogs.get(schema);
  if (!catalog) {
    const settings: CatalogSetting[] = [];
    const knownKeys: Record<string, readonly string[]> = {};
    visit(schema, "", settings, knownKeys);
    const byPath = new Map(settings.map((s) => [s.path, s]));
    catalog = { settings, knownKeys, setting: (path) => byPath.get(path) };
    catalogs.set(schema, catalog);
  }
  return catalog;
}

function visit(
  schema: z.ZodType,
  path: string,
  settings: CatalogSetting[],
  knownKeys: Record<string, readonly string[]>,
): void {
  const facts = SETTING_FACTS.get(schema);
  const inner = innermost(schema);
  if (facts !== undefined || inner.def.type !== "object") {
    if (facts === undefined)
      throw new Error(`config setting ${path} has no facts: declare it with setting()`);
    const choices =
      inner.def.type === "enum" ? Object.values((inner as z.ZodEnum).enum).map(String) : undefined;
    const number = inner.def.type === "number" ? (inner as z.ZodNumber) : undefined;
    const range = number && ([number.minValue, number.maxValue] as const);
    const defaultValue = defaultOf(schema);
    settings.push({
      path,
      schema,
      facts,
      ...(choices && { choices }),
      ...(range && range[0] !== null && range[1] !== null && { range: [range[0], range[1]] }),
      ...(defaultValue !== undefined && { defaultValue }),
    });
    return;
  }
  const shape = (inner as z.ZodObject).shape;
  knownKeys[path] = Object.keys(shape);
  for (const [key, child] of Object.entries(shape))
    visit(child, path ? `${path}.${key}` : key, settings, knownKeys);
}

/** The schema a wrapper (default, optional, preprocess, transform …) wraps, or undefined for a plain type. */
function wrapped(schema: z.ZodType): z.ZodType | undefined {
  const def = schema.def as { type: string; innerType?: z.ZodType; in?: z.ZodType; out?: z.ZodType };
  if (def.innerType) return def.innerType;
  // preprocess is transform → type; a transform is type → transform.
  if (def.type === "pipe" && def.in && def.out) return def.in.def.type === "transform" ? def.out : def.in;
  return undefined;
}

/** The type under all the wrappers. */
function innermost(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (let next = wrapped(current); next; next = wrapped(current)) current = next;
  return current;
}

/** The value of the outermost `.default()`, if any. */
function defaultOf(schema: z.ZodType): unknown {
  for (let current: z.ZodType | undefined = schema; current; current = wrapped(current)) {
    if (current.def.type === "default")
      return (current.def as unknown as { defaultValue: unknown }).defaultValue;
  }
  return undefined;
}
