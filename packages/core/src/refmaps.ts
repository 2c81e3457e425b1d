// OCI reference maps: an OCI URL → the public key of the module it holds.
import { asRecord, type CollectionCodec, FieldChecker, jsonCodec } from "./collection-codec.js";
import { InvalidEntryError } from "./errors.js";
import { refmapKey } from "./keys.js";

/** Maps an OCI reference to the public key of the module it resolves to. */
export interface OciReferenceMap {
  oci_url: string;
  public_key: string;
}

/** The codec of the `refmaps` collection. */
export const refmapsCodec: CollectionCodec<OciReferenceMap, string> = jsonCodec({
  name: "refmaps",
  keyOfValue: (v) => refmapKey(v.oci_url),
  keyOfRef: (ociUrl) => refmapKey(ociUrl),
  parse(input, key) {
    const issues: string[] = [];
    const record = asRecord(input, issues);
    if (!record) throw new InvalidEntryError(issues, key);
    const f = new FieldChecker(record);
    const oci_url = f.requiredString("oci_url");
    const public_key = f.requiredString("public_key");
    if (f.issues.length) throw new InvalidEntryError(f.issues, key);
    if (key !== undefined && key !== refmapKey(oci_url)) {
      throw new InvalidEntryError([`field "oci_url" (${oci_url}) does not match the key`], key);
    }
    return { oci_url, public_key };
  },
  toWire: (v) => ({ oci_url: v.oci_url, public_key: v.public_key }),
  indexes: {
    publicKey: (v) => v.public_key,
  },
});
