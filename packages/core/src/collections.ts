// The three concrete collections, each with the finders hosts need.
import type { Claims, ClaimsInput } from "./claims.js";
import { CollectionHandle } from "./collection-handle.js";
import {
  DEFAULT_LINK_NAME,
  type LinkDefinition,
  type LinkDefinitionInput,
  type LinkDefinitionRef,
} from "./linkdefs.js";
import type { OciReferenceMap } from "./refmaps.js";

/** Link definitions, keyed by (actor_id, contract_id, link_name). */
export class LinkDefinitions extends CollectionHandle<"linkdefs", LinkDefinitionRef, LinkDefinitionInput> {
  /**
   * The link definition under a natural key, or undefined. Served from memory by the natural key itself — no
   * hashing — and allocation-free; a ref that finds nothing is then validated (a bad one throws
   * `InvalidEntryError`) and looked up by its storage key.
   */
  override get(ref: LinkDefinitionRef): LinkDefinition | undefined {
    const hit = this.readableStore().linkdefByRef(
      ref.actor_id,
      ref.contract_id,
      ref.link_name || DEFAULT_LINK_NAME,
    );
    return hit ? (hit.value as LinkDefinition) : super.get(ref);
  }

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
