// Link definitions: schema, key codec and indexes. Readers compute a missing `id` as real hosts do.
import { asRecord, type CollectionCodec, FieldChecker, jsonCodec, typeOf } from "./collection-codec.js";
import { InvalidEntryError } from "./errors.js";
import { KEY_PREFIXES, linkdefId } from "./keys.js";

/** A link definition in the wire shape of wasmCloud hosts. */
export interface LinkDefinition {
  /** `UPPER(HEX(SHA256(actor_id || contract_id || link_name)))`. */
  id: string;
  actor_id: string;
  provider_id: string;
  link_name: string;
  contract_id: string;
  /** Configuration values passed to the provider. */
  values: Record<string, string>;
}

/** What identifies a link definition: the actor, the contract and the link name (default `"default"`). */
export interface LinkDefinitionRef {
  actor_id: string;
  contract_id: string;
  /** Defaults to `"default"`. */
  link_name?: string;
}

/** Input accepted by `linkdefs.put`: `id` is computed when absent; `link_name` defaults to `"default"`. */
export type LinkDefinitionInput = Omit<LinkDefinition, "id" | "link_name" | "values"> & {
  id?: string;
  link_name?: string;
  values?: Record<string, string>;
};

/** The link name used when none is given. */
export const DEFAULT_LINK_NAME = "default";

function parseValues(raw: unknown, issues: string[]): Record<string, string> {
  if (raw === undefined || raw === null) return {};
  if (typeof raw !== "object" || Array.isArray(raw)) {
    issues.push(`field "values" must be an object of strings (got ${typeOf(raw)})`);
    return {};
  }
  // A copy, so a caller's object is never stored; own keys walked without Object.entries' pair arrays
  // (this runs for every link definition decoded).
  const source = raw as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const k in source) {
    if (!Object.hasOwn(source, k)) continue;
    const v = source[k];
    if (typeof v === "string") out[k] = v;
    else issues.push(`field "values.${k}" must be a string (got ${typeOf(v)})`);
  }
  return out;
}

/** The codec of the `linkdefs` collection. */
export const linkdefsCodec: CollectionCodec<LinkDefinition, LinkDefinitionRef> = jsonCodec({
  name: "linkdefs",
  keyOfValue: (v) => KEY_PREFIXES.linkdefs + v.id,
  keyOfRef: refKey,
  parse(input, key) {
    const issues: string[] = [];
    const record = asRecord(input, issues);
    if (!record) throw new InvalidEntryError(issues, key);
    const f = new FieldChecker(record);
    const actor_id = f.requiredString("actor_id");
    const provider_id = f.requiredString("provider_id");
    const contract_id = f.requiredString("contract_id");
    const link_name = f.optionalString("link_name", DEFAULT_LINK_NAME) || DEFAULT_LINK_NAME;
    f.optionalString("id", "");
    const values = parseValues(record.values, f.issues);
    if (f.issues.length) throw new InvalidEntryError(f.issues, key);
    const id = linkdefId(actor_id, contract_id, link_name);
    if (key !== undefined && key !== KEY_PREFIXES.linkdefs + id) {
      throw new InvalidEntryError(
        [`(actor_id, contract_id, link_name) hashes to ${id}, not to the key's id`],
        key,
      );
    }
    return { id, actor_id, provider_id, link_name, contract_id, values };
  },
  toWire: (v) => ({
    id: v.id,
    actor_id: v.actor_id,
    provider_id: v.provider_id,
    link_name: v.link_name,
    contract_id: v.contract_id,
    values: v.values,
  }),
  indexes: {
    actor: (v) => v.actor_id,
    provider: (v) => v.provider_id,
  },
});

// Reads look link definitions up by natural key, which must be hashed; a bounded memo keyed by the ref's own
// strings (no concatenation, no allocation) keeps `get` close to a plain Map lookup.
const refKeyMemo = new Map<string, Map<string, Map<string, string>>>();
let refKeyMemoSize = 0;
const REF_MEMO_LIMIT = 100_000;

function refKey(ref: LinkDefinitionRef): string {
  const actor = ref.actor_id;
  const contract = ref.contract_id;
  const link = ref.link_name || DEFAULT_LINK_NAME;
  const hit = refKeyMemo.get(actor)?.get(contract)?.get(link);
  if (hit !== undefined) return hit;
  const key = KEY_PREFIXES.linkdefs + computeRefId(ref);
  if (refKeyMemoSize >= REF_MEMO_LIMIT) {
    refKeyMemo.clear();
    refKeyMemoSize = 0;
  }
  let byContract = refKeyMemo.get(actor);
  if (!byContract) {
    byContract = new Map();
    refKeyMemo.set(actor, byContract);
  }
  let byLink = byContract.get(contract);
  if (!byLink) {
    byLink = new Map();
    byContract.set(contract, byLink);
  }
  byLink.set(link, key);
  refKeyMemoSize += 1;
  return key;
}

/** Validates a ref and hashes it (computeRefId throws `InvalidEntryError` for a bad ref, which is never memoized). */
function computeRefId(ref: LinkDefinitionRef): string {
  const issues: string[] = [];
  const f = new FieldChecker(ref as unknown as Record<string, unknown>);
  const actor = f.requiredString("actor_id");
  const contract = f.requiredString("contract_id");
  const link = f.optionalString("link_name", DEFAULT_LINK_NAME) || DEFAULT_LINK_NAME;
  issues.push(...f.issues);
  if (issues.length) throw new InvalidEntryError(issues);
  return linkdefId(actor, contract, link);
}
