// The generation-3 storage keys, computed here from docs/wire-formats.md rather than taken from core, so the
// suite checks the layout real wasmCloud hosts use instead of agreeing with itself.
import { createHash } from "node:crypto";

/** docs/wire-formats.md's test vector for the link definition id. */
export const LINKDEF_ID_TEST_VECTOR = {
  actorId: "Mbob",
  contractId: "wasmcloud:testy",
  linkName: "default",
  id: "B40411AD09B70A2C83D59923584F66BA2C5A3C274DC4F19416DA49CCD6531F9C",
} as const;

/** `UPPER(HEX(SHA256(actor_id || contract_id || link_name)))`, plain concatenation. */
export function wireLinkdefId(actorId: string, contractId: string, linkName = "default"): string {
  return createHash("sha256")
    .update(actorId + contractId + linkName, "utf8")
    .digest("hex")
    .toUpperCase();
}

/** `LINKDEF_{id}`. */
export function wireLinkdefKey(actorId: string, contractId: string, linkName = "default"): string {
  return `LINKDEF_${wireLinkdefId(actorId, contractId, linkName)}`;
}

/** `CLAIMS_{sub}`. */
export function wireClaimsKey(sub: string): string {
  return `CLAIMS_${sub}`;
}

/** `REFMAP_{base64url_nopad(oci_url)}`. */
export function wireRefmapKey(ociUrl: string): string {
  return `REFMAP_${Buffer.from(ociUrl, "utf8").toString("base64").replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}`;
}
