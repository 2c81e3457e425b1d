// The three concrete collections, each with the finders hosts need.
import type { Claims, ClaimsInput } from "./claims.js";
import { CollectionHandle } from "./collection-handle.js";
import type { LinkDefinition, LinkDefinitionInput, LinkDefinitionRef } from "./linkdefs.js";
import type { OciReferenceMap } from "./refmaps.js";

/** Link definitions, keyed by (actor_id, contract_id, link_name). */
export class LinkDefinitions extends CollectionHandle<"linkdefs", LinkDefinitionRef, LinkDefinitionInput> {
  /** Every link definition of an actor. */
  byActor(actorId: string): LinkDefinition[] {
    return this.findBy("actor", actorId);
  }

  /** Every link definition that targets a provider. */
  byProvider(providerId: string): LinkDefinition[] {
    return this.findBy("provider", providerId);
  }

  /** The link definitions of a provider with one link name (what a provider needs at start). */
  byProviderLink(providerId: string, linkName: string): LinkDefinition[] {
    return this.byProvider(providerId).filter((l) => l.link_name === linkName);
  }
}

/** JWT claims, keyed by `sub` (the module's public key). */
export class ClaimsCollection extends CollectionHandle<"claims", string, ClaimsInput> {
  /** The claims whose `call_alias` equals `alias` (at most one in a healthy lattice). */
  byCallAlias(alias: string): Claims[] {
    return this.findBy("callAlias", alias);
  }
}

/** OCI reference maps, keyed by `oci_url`. */
export class ReferenceMaps extends CollectionHandle<"refmaps", string, OciReferenceMap> {
  /** Every OCI reference that resolves to a public key. */
  byPublicKey(publicKey: string): OciReferenceMap[] {
    return this.findBy("publicKey", publicKey);
  }
}
