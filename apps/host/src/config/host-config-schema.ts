// The whole configuration schema of a host: `backend` (allowed: the registered names), the core settings,
// and the sections the registered backends contribute.

import { type ConfigSection, mapping, mergeSections, settingGroup } from "@lattice-cache/plugin";
import type { z } from "zod";
import { backendSetting, CORE_SETTINGS } from "./core-settings.js";

/** What a host's schema is made of (a backend registry provides both). */
export interface HostConfigSchemaOptions {
  /** Names `backend` may take; the first is the default. */
  readonly backends: readonly string[];
  /** The sections of those backends. */
  readonly sections: readonly ConfigSection[];
}

/** The schema of a host's configuration (a strict object: unknown keys are errors). */
export type HostConfigSchema = z.ZodObject<z.ZodRawShape, z.core.$strict>;

const built = new Map<string, HostConfigSchema>();
const sectionIds = new WeakMap<ConfigSection, number>();
let nextSectionId = 0;

/** The schema for `options`: the same object for the same sections and names (derived facts are cached on it). */
export function hostConfigSchema(options: HostConfigSchemaOptions): HostConfigSchema {
  const ids = options.sections.map((section) => {
    let id = sectionIds.get(section);
    if (id === undefined) {
      id = nextSectionId++;
      sectionIds.set(section, id);
    }
    return id;
  });
  const key = `${ids.join(",")}|${options.backends.join("\0")}`;
  let schema = built.get(key);
  if (!schema) {
    const sections = mergeSections(options.sections, ["backend", ...Object.keys(CORE_SETTINGS)]);
    schema = mapping({
      backend: backendSetting(options.backends),
      ...CORE_SETTINGS,
      ...Object.fromEntries([...sections].map(([key, settings]) => [key, settingGroup(settings)])),
    });
    built.set(key, schema);
  }
  return schema;
}
