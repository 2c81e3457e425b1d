// The settings every backend shares with the host: the lattice prefix (one rule, one default), the host id's
// spelling, and whether a missing lattice is created. A backend's options schema and the host's core settings
// both take them from here.
import { setting } from "./setting.js";
import { text } from "./setting-types.js";

/** The prefix of a lattice when none is configured. */
export const DEFAULT_PREFIX = "default";

/**
 * What a lattice prefix may hold: it becomes part of bucket names, NATS subjects, Redis keys and PostgreSQL
 * schema names. A backend with a tighter limit (PostgreSQL's identifier length) states it as its own rule.
 */
export const PREFIX_TEXT = { pattern: /^[A-Za-z0-9_-]+$/, patternText: "letters, digits, _ and -" } as const;

/** What a host id may hold (the `hostId` setting; a status answer's host id is checked against it too). */
export const HOST_ID_TEXT = {
  pattern: /^[A-Za-z0-9_.:=-]+$/,
  patternText: "letters, digits and _ . : = -",
} as const;

/** Whether a host or write command creates a lattice that does not exist (the `createLattice` setting). */
export const CREATE_LATTICE_MODES = ["auto", "always", "never"] as const;

/** One of {@link CREATE_LATTICE_MODES}. */
export type CreateLatticeMode = (typeof CREATE_LATTICE_MODES)[number];

/** The lattice prefix setting: the one prefix rule, with its default. */
export function prefixSetting() {
  return setting(text(PREFIX_TEXT).default(DEFAULT_PREFIX), {
    description: "lattice prefix (the bucket is LATTICEDATA_{prefix})",
    env: "LATTICE_PREFIX",
    envFallbacks: ["WASMCLOUD_LATTICE_PREFIX"],
    flag: "--prefix <prefix>",
  });
}
