// The generation-1 subject layout (docs/wire-formats.md): `wasmbus.rpc.{prefix}.{collection}.{put,del,get}` and the
// per-provider copies of link-definition messages.
import { COLLECTION_NAMES, type CollectionName } from "@lattice-cache/core";
import { ConfigurationError } from "@lattice-cache/core/backend";
import { DEFAULT_PREFIX } from "@lattice-cache/plugin";

/** The lattice prefix old hosts use when none is configured (the one default of every backend). */
export const DEFAULT_LATTICE_PREFIX = DEFAULT_PREFIX;

/** What a generation-1 message on a collection subject does. */
export type LegacyOperation = "put" | "del" | "get";

/** The generation-1 subjects of one lattice prefix. */
export interface LegacySubjects {
  /** The prefix the subjects were built for. */
  readonly prefix: string;
  /** `wasmbus.rpc.{prefix}.{collection}.{operation}`. */
  of(collection: CollectionName, operation: LegacyOperation): string;
  /**
   * `wasmbus.rpc.{prefix}.{provider_id}.{link_name}.linkdefs.{put|del}` — the copy old hosts sent to the
   * provider itself. `undefined` when a token would break the subject (wildcards, whitespace, empty).
   */
  providerLinkdef(providerId: string, linkName: string, operation: "put" | "del"): string | undefined;
  /** Parses a received collection subject back; `undefined` for anything else (e.g. per-provider copies). */
  parse(subject: string): { collection: CollectionName; operation: LegacyOperation } | undefined;
}

/** One NATS subject token: non-empty, no separators, wildcards or whitespace. */
const TOKEN = /^[^\s.*>]+$/;

/** Builds the generation-1 subjects for `prefix`; throws `ConfigurationError` for a prefix NATS cannot carry. */
export function legacySubjects(prefix: string = DEFAULT_LATTICE_PREFIX): LegacySubjects {
  if (typeof prefix !== "string" || !/^[^\s*>]+$/.test(prefix) || prefix.split(".").some((t) => t === "")) {
    throw new ConfigurationError(
      `lattice prefix ${JSON.stringify(prefix)} cannot be used in a NATS subject (empty, wildcard or whitespace)`,
      { field: "prefix" },
    );
  }
  const base = `wasmbus.rpc.${prefix}.`;
  return {
    prefix,
    of: (collection, operation) => `${base}${collection}.${operation}`,
    providerLinkdef(providerId, linkName, operation) {
      if (!TOKEN.test(providerId) || !TOKEN.test(linkName)) return undefined;
      return `${base}${providerId}.${linkName}.linkdefs.${operation}`;
    },
    parse(subject) {
      if (!subject.startsWith(base)) return undefined;
      const rest = subject.slice(base.length).split(".");
      if (rest.length !== 2) return undefined;
      const collection = COLLECTION_NAMES.find((name) => name === rest[0]);
      const operation = rest[1];
      if (collection === undefined) return undefined;
      if (operation !== "put" && operation !== "del" && operation !== "get") return undefined;
      return { collection, operation };
    },
  };
}
