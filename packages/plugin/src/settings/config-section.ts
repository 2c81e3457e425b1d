// A backend's own part of the configuration: a top-level key (`nats:`, `redis:`) holding its settings, each
// carrying its env variable and flag. A backend registration contributes one; the host's schema is the core
// settings plus the sections of the registered backends.
import type { z } from "zod";

/** Settings by name: each a `setting(…)`, or a `settingGroup(…)` of more. */
export type SettingsShape = z.ZodRawShape;

/** A top-level key of the configuration and the settings under it. */
export interface ConfigSection<K extends string = string, S extends SettingsShape = SettingsShape> {
  /** The key in the file (`nats`), the first part of the settings' paths (`nats.servers`). */
  readonly key: K;
  /** The settings. */
  readonly settings: S;
}

/**
 * A section. Two backends may contribute the same key (jetstream and legacy both read `nats`): their
 * settings are merged, and a setting both name must be the very same schema (share it, do not copy it).
 */
export function configSection<const K extends string, S extends SettingsShape>(
  key: K,
  settings: S,
): ConfigSection<K, S> {
  return { key, settings };
}

/** A configuration value that nothing may change: objects and arrays, all the way down. */
export type DeepReadonly<T> = T extends readonly (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** The validated values of `settings` (their defaults applied). */
export type SettingsValues<S extends SettingsShape> = DeepReadonly<z.output<z.ZodObject<S>>>;

/** The part of a validated configuration a section adds: `{ nats: {…} }`. */
export type SectionValues<C extends ConfigSection> = {
  readonly [K in C["key"]]: SettingsValues<C["settings"]>;
};

/** Merges the sections contributed under each key; throws (a programming error) on a conflict. */
export function mergeSections(
  sections: readonly ConfigSection[],
  reservedKeys: readonly string[],
): Map<string, SettingsShape> {
  const merged = new Map<string, Record<string, z.core.$ZodType>>();
  for (const section of sections) {
    if (reservedKeys.includes(section.key)) {
      throw new Error(`config section ${section.key}: the key belongs to the host's own settings`);
    }
    const into = merged.get(section.key) ?? {};
    for (const [name, schema] of Object.entries(section.settings)) {
      const existing = into[name];
      if (existing !== undefined && existing !== schema) {
        throw new Error(
          `config section ${section.key}: two backends define ${section.key}.${name} differently ` +
            "(share one setting instead)",
        );
      }
      into[name] = schema;
    }
    merged.set(section.key, into);
  }
  return merged;
}
