// Claims: tolerant parsing (comma strings or arrays, numeric or string rev) and canonical string output.
import { asRecord, type CollectionCodec, FieldChecker, jsonCodec, typeOf } from "./collection-codec.js";
import { InvalidEntryError } from "./errors.js";
import { assertKeySafe, claimsKey } from "./keys.js";

/** JWT claims of an actor or provider, in the wire shape real hosts write (comma-joined lists, string rev). */
export interface Claims {
  call_alias: string;
  iss: string;
  name: string;
  /** Capability contract ids, comma-joined (`""` when none). */
  caps: string;
  /** An integer written as a string, e.g. `"0"`. */
  rev: string;
  /** Tags, comma-joined (`""` when none). */
  tags: string;
  version: string;
  /** The module's public key: the natural key. */
  sub: string;
}

/** Input accepted by `claims.put`: lists may be arrays, `rev` a number; missing optional fields become `""`. */
export type ClaimsInput = Partial<Omit<Claims, "caps" | "tags" | "rev">> & {
  sub: string;
  caps?: string | readonly string[];
  tags?: string | readonly string[];
  rev?: string | number;
};

function commaList(record: Record<string, unknown>, field: string, issues: string[]): string {
  const v = record[field];
  if (v === undefined || v === null) return "";
  if (typeof v === "string") return v;
  if (Array.isArray(v)) {
    if (v.every((item) => typeof item === "string")) return v.join(",");
    issues.push(`field "${field}" must be a comma-joined string or an array of strings`);
    return "";
  }
  issues.push(`field "${field}" must be a comma-joined string or an array of strings (got ${typeOf(v)})`);
  return "";
}

function revision(record: Record<string, unknown>, issues: string[]): string {
  const v = record.rev;
  if (v === undefined || v === null || v === "") return "0";
  if (typeof v === "number" && Number.isSafeInteger(v) && v >= 0) return String(v);
  if (typeof v === "string" && /^\d+$/.test(v)) return String(Number.parseInt(v, 10));
  issues.push(`field "rev" must be a non-negative integer or a string of one (got ${JSON.stringify(v)})`);
  return "0";
}

/** Splits a comma-joined claims list (`caps`, `tags`) into its items. */
export function splitClaimList(list: string): string[] {
  return list === ""
    ? []
    : list
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
}

/** The codec of the `claims` collection. */
export const claimsCodec: CollectionCodec<Claims, string> = jsonCodec({
  name: "claims",
  keyOfValue: (v) => claimsKey(v.sub),
  keyOfRef: (sub) => claimsKey(sub),
  parse(input, key) {
    const issues: string[] = [];
    const record = asRecord(input, issues);
    if (!record) throw new InvalidEntryError(issues, key);
    const f = new FieldChecker(record);
    const sub = f.requiredString("sub");
    const value: Claims = {
      call_alias: f.optionalString("call_alias", ""),
      iss: f.optionalString("iss", ""),
      name: f.optionalString("name", ""),
      caps: commaList(record, "caps", f.issues),
      rev: revision(record, f.issues),
      tags: commaList(record, "tags", f.issues),
      version: f.optionalString("version", ""),
      sub,
    };
    // A sub that cannot be a key is a key error (as for get and delete), not a schema error.
    if (sub) assertKeySafe(sub, "claims sub");
    if (f.issues.length) throw new InvalidEntryError(f.issues, key);
    if (key !== undefined && key !== claimsKey(sub)) {
      throw new InvalidEntryError([`field "sub" (${sub}) does not match the key`], key);
    }
    return value;
  },
  toWire: (v) => ({
    call_alias: v.call_alias,
    iss: v.iss,
    name: v.name,
    caps: v.caps,
    rev: v.rev,
    tags: v.tags,
    version: v.version,
    sub: v.sub,
  }),
  indexes: {
    callAlias: (v) => (v.call_alias === "" ? undefined : v.call_alias),
  },
});
