// Key codecs of the generation-3 layout (docs/wire-formats.md): LINKDEF_{id}, CLAIMS_{sub}, REFMAP_{b64url}.
import { createHash, hash } from "node:crypto";
import { InvalidKeyError } from "./errors.js";

/** The three collections of lattice metadata. */
export type CollectionName = "linkdefs" | "claims" | "refmaps";

/** Every collection, in a stable order. */
export const COLLECTION_NAMES: readonly CollectionName[] = ["linkdefs", "claims", "refmaps"];

/** Storage-key prefix of each collection. */
export const KEY_PREFIXES: Readonly<Record<CollectionName, string>> = {
  linkdefs: "LINKDEF_",
  claims: "CLAIMS_",
  refmaps: "REFMAP_",
};

/** Characters a storage key may contain: safe as one NATS subject token and as a Redis field. */
const KEY_PATTERN = /^[A-Za-z0-9_=-]+$/;

/**
 * The longest storage key accepted. A subject near nats-server's 4 KiB `max_control_line` makes the server
 * drop the connection instead of refusing the write, so keys are capped well below it.
 */
export const MAX_KEY_LENGTH = 1024;

/**
 * Refuses a key (or key part) that would break NATS subject rules: empty, or containing `.`, `*`, `>`,
 * whitespace or anything outside `[A-Za-z0-9_=-]`.
 */
export function assertKeySafe(key: string, what = "key"): void {
  if (typeof key !== "string" || key.length === 0) throw new InvalidKeyError(String(key), `${what} is empty`);
  if (key.length > MAX_KEY_LENGTH) {
    throw new InvalidKeyError(
      key,
      `${what} is ${key.length} characters long, over the maximum of ${MAX_KEY_LENGTH}`,
    );
  }
  if (KEY_PATTERN.test(key)) return;
  const bad = [...key].find((c) => !/[A-Za-z0-9_=-]/.test(c)) ?? "";
  const named: Record<string, string> = {
    ".": "'.' (a NATS token separator)",
    "*": "'*' (a NATS wildcard)",
    ">": "'>' (a NATS wildcard)",
  };
  const why = named[bad] ?? (/\s/.test(bad) ? "whitespace" : `the character ${JSON.stringify(bad)}`);
  throw new InvalidKeyError(key, `${what} contains ${why}; allowed are A-Z a-z 0-9 _ = -`);
}

/**
 * The id real wasmCloud hosts give a link definition:
 * `UPPER(HEX(SHA256(actor_id || contract_id || link_name)))`, plain concatenation.
 */
export function linkdefId(actorId: string, contractId: string, linkName: string): string {
  // One-shot hashing of the joined text is ~2.5× faster than a Hash object (it runs for every link definition
  // decoded or written). Joining is the same as hashing the parts one after another unless a surrogate pair
  // would form across a boundary, which the parts' UTF-8 encodings keep apart.
  if (splitsSurrogatePair(actorId, contractId) || splitsSurrogatePair(contractId, linkName)) {
    return createHash("sha256")
      .update(actorId)
      .update(contractId)
      .update(linkName)
      .digest("hex")
      .toUpperCase();
  }
  return hash("sha256", actorId + contractId + linkName, "hex").toUpperCase();
}

/** True when `left` ends in a high surrogate and `right` starts with a low one: joined, they form one character. */
function splitsSurrogatePair(left: string, right: string): boolean {
  const high = left.charCodeAt(left.length - 1);
  const low = right.charCodeAt(0);
  return high >= 0xd800 && high <= 0xdbff && low >= 0xdc00 && low <= 0xdfff;
}

/** `LINKDEF_{id}` for the natural key (actor, contract, link name). */
export function linkdefKey(actorId: string, contractId: string, linkName: string): string {
  return KEY_PREFIXES.linkdefs + linkdefId(actorId, contractId, linkName);
}

/** `CLAIMS_{sub}`; `sub` (a module's public key) must be subject-safe. */
export function claimsKey(sub: string): string {
  assertKeySafe(sub, "claims sub");
  return KEY_PREFIXES.claims + sub;
}

/** `REFMAP_{base64url_nopad(oci_url)}`. */
export function refmapKey(ociUrl: string): string {
  if (typeof ociUrl !== "string" || ociUrl.length === 0)
    throw new InvalidKeyError(String(ociUrl), "oci_url is empty");
  return KEY_PREFIXES.refmaps + Buffer.from(ociUrl, "utf8").toString("base64url");
}

/** Decodes the OCI URL from a `REFMAP_` key; `undefined` if it is not one. */
export function ociUrlFromRefmapKey(key: string): string | undefined {
  if (!key.startsWith(KEY_PREFIXES.refmaps)) return undefined;
  return Buffer.from(key.slice(KEY_PREFIXES.refmaps.length), "base64url").toString("utf8");
}

/** The collection a storage key belongs to, or `undefined` for keys this project does not own. */
export function collectionOfKey(key: string): CollectionName | undefined {
  // Checked by first letter first: this runs once per feed entry.
  switch (key.charCodeAt(0)) {
    case 76 /* L */:
      return key.startsWith(KEY_PREFIXES.linkdefs) ? "linkdefs" : undefined;
    case 67 /* C */:
      return key.startsWith(KEY_PREFIXES.claims) ? "claims" : undefined;
    case 82 /* R */:
      return key.startsWith(KEY_PREFIXES.refmaps) ? "refmaps" : undefined;
    default:
      return undefined;
  }
}
