// The export file format (docs/transfer-format.md), version 1: JSON lines — a header, one line per live entry
// (its storage key and its value in the wire shape real hosts store), and a trailer proving the file complete.
// Encoding here, and decoding with every problem named, so the exporter and the import check share one home.
import {
  COLLECTION_NAMES,
  type CollectionName,
  collectionOfKey,
  errorText,
  InvalidEntryError,
} from "@lattice-cache/core";
import { COLLECTION_CODECS } from "../cli/collection-codecs.js";

/** The `format` every export file names. */
export const TRANSFER_FORMAT = "lattice-export";
/** The version this build writes and reads. */
export const TRANSFER_VERSION = 1;

/** Line 1 of an export file. */
export interface ExportHeader {
  readonly format: typeof TRANSFER_FORMAT;
  readonly version: typeof TRANSFER_VERSION;
  /** The lattice prefix exported. */
  readonly prefix: string;
  /** The backend it was read from (`jetstream`, `redis`, …). */
  readonly sourceBackend: string;
  /** The source's revision the entries are a snapshot of (revisions are the source's own). */
  readonly revision: number;
  /** The source's history that revision belongs to. */
  readonly epoch: string;
  /** When the export was taken, ISO 8601. */
  readonly exportedAt: string;
  /** The collections exported, each with its number of entries (a collection exported empty shows 0). */
  readonly collections: Readonly<Partial<Record<CollectionName, number>>>;
  /** Entry lines in the file. */
  readonly entries: number;
  /** The content digest of the entries ({@link ContentDigest}). */
  readonly digest: string;
}

/** The last line of an export file. */
export interface ExportTrailer {
  readonly end: true;
  readonly entries: number;
  readonly digest: string;
}

/** One live entry, decoded and validated: its value normalized, `bytes` its encoding (what the digest covers). */
export interface TransferEntry {
  readonly key: string;
  readonly collection: CollectionName;
  /** The normalized value (the collection codec's). */
  readonly value: unknown;
  /** The value as JSON bytes in the wire shape (`codec.encode`). */
  readonly bytes: Uint8Array;
}

/** What is wrong with one line. */
export interface LineProblem {
  /** 1-based line number; 0 for the file as a whole. */
  readonly line: number;
  readonly text: string;
}

const utf8 = new TextDecoder("utf-8");

/** The header line (with its newline). */
export function encodeHeader(header: ExportHeader): string {
  return `${JSON.stringify(header)}\n`;
}

/** An entry line (with its newline): the value is written as its bytes, so the digest covers the text exactly. */
export function encodeEntry(entry: TransferEntry): string {
  return `{"key":${JSON.stringify(entry.key)},"value":${utf8.decode(entry.bytes)}}\n`;
}

/** The trailer line (with its newline). */
export function encodeTrailer(trailer: ExportTrailer): string {
  return `${JSON.stringify(trailer)}\n`;
}

/**
 * Decodes a stored value of a collection key into a {@link TransferEntry}: the collection codec validates it
 * (throws `InvalidEntryError`) and normalizes it into the wire shape.
 */
export function entryFromStored(key: string, collection: CollectionName, stored: Uint8Array): TransferEntry {
  const codec = COLLECTION_CODECS[collection];
  const value = codec.decode(stored, key);
  return { key, collection, value, bytes: codec.encode(value) };
}

/**
 * An entry whose `bytes` {@link entryFromStored} already produced (validated, in the wire shape): its value is
 * decoded from them on first use only — an export writes the bytes and never needs it.
 */
export function acceptedEntry(key: string, collection: CollectionName, bytes: Uint8Array): TransferEntry {
  let value: unknown;
  let decoded = false;
  return {
    key,
    collection,
    bytes,
    get value() {
      if (!decoded) {
        value = COLLECTION_CODECS[collection].decode(bytes, key);
        decoded = true;
      }
      return value;
    },
  };
}

/** Parses line 1; a problem when it is not a header this build reads. */
export function decodeHeader(text: string): ExportHeader | LineProblem {
  const at = (problem: string): LineProblem => ({ line: 1, text: problem });
  const parsed = parseJson(text);
  if (!parsed.ok) return at(`not a lattice export header: ${parsed.issue}`);
  const h = parsed.value;
  if (!isObject(h) || h.format !== TRANSFER_FORMAT) {
    return at(`not a lattice export: line 1 must be a header with "format": "${TRANSFER_FORMAT}"`);
  }
  if (h.version !== TRANSFER_VERSION) {
    return at(
      `export format version ${JSON.stringify(h.version)} is not supported: this lattice reads version ` +
        `${TRANSFER_VERSION}${typeof h.version === "number" && h.version > TRANSFER_VERSION ? " (the file was written by a newer lattice)" : ""}`,
    );
  }
  const issues: string[] = [];
  for (const field of ["prefix", "sourceBackend", "epoch", "exportedAt", "digest"] as const) {
    if (typeof h[field] !== "string") issues.push(`"${field}" must be a string`);
  }
  for (const field of ["revision", "entries"] as const) {
    if (!isCount(h[field])) issues.push(`"${field}" must be a whole number from 0`);
  }
  const collections = h.collections;
  if (!isObject(collections) || Object.keys(collections).length === 0) {
    issues.push(`"collections" must name at least one of ${COLLECTION_NAMES.join(", ")} with its count`);
  } else {
    for (const [name, count] of Object.entries(collections)) {
      if (!(COLLECTION_NAMES as readonly string[]).includes(name)) {
        issues.push(`"collections" names ${JSON.stringify(name)}, not one of ${COLLECTION_NAMES.join(", ")}`);
      } else if (!isCount(count)) issues.push(`"collections.${name}" must be a whole number from 0`);
    }
  }
  if (issues.length > 0) return at(`bad header: ${issues.join("; ")}`);
  return h as unknown as ExportHeader;
}

/** A decoded line after the header: an entry, the trailer, or what is wrong with it. */
export type BodyLine =
  | { readonly kind: "entry"; readonly entry: TransferEntry }
  | { readonly kind: "trailer"; readonly trailer: ExportTrailer }
  | { readonly kind: "problem"; readonly problem: LineProblem };

/** Options of {@link decodeBodyLine}. */
export interface DecodeOptions {
  /** The collections the header names: an entry of another is a problem. */
  readonly collections: ReadonlySet<CollectionName>;
  /** The largest encoded value accepted (the target's `maxValueBytes`). */
  readonly maxValueBytes: number;
}

/** Decodes line `line` (2 and on): an entry validated by its collection's codec, or the trailer. */
export function decodeBodyLine(text: string, line: number, options: DecodeOptions): BodyLine {
  const bad = (problem: string): BodyLine => ({ kind: "problem", problem: { line, text: problem } });
  const parsed = parseJson(text);
  if (!parsed.ok) return bad(parsed.issue);
  const record = parsed.value;
  if (!isObject(record)) return bad('expected a JSON object with "key" and "value" (or the trailer)');
  if (record.end === true) {
    if (!isCount(record.entries) || typeof record.digest !== "string") {
      return bad('bad trailer: expected {"end":true,"entries":N,"digest":"…"}');
    }
    return { kind: "trailer", trailer: { end: true, entries: record.entries, digest: record.digest } };
  }
  const extra = Object.keys(record).filter((k) => k !== "key" && k !== "value");
  if (extra.length > 0)
    return bad(`unexpected field ${JSON.stringify(extra[0])} (an entry has "key" and "value")`);
  const key = record.key;
  if (typeof key !== "string") return bad('"key" must be a storage key string');
  const collection = collectionOfKey(key);
  if (collection === undefined) {
    return bad(`key ${JSON.stringify(key)} belongs to no collection (LINKDEF_…, CLAIMS_…, REFMAP_…)`);
  }
  if (!options.collections.has(collection)) {
    return bad(`key ${JSON.stringify(key)} is of ${collection}, which the header does not name`);
  }
  if (!("value" in record)) return bad(`no "value" for ${key}`);
  const codec = COLLECTION_CODECS[collection];
  try {
    const value = codec.parse(record.value, key);
    const bytes = codec.encode(value);
    if (bytes.length > options.maxValueBytes) {
      return bad(`${key}: the value is ${bytes.length} bytes, over maxValueBytes (${options.maxValueBytes})`);
    }
    return { kind: "entry", entry: { key, collection, value, bytes } };
  } catch (error) {
    if (error instanceof InvalidEntryError || (error as { code?: string }).code === "INVALID_KEY") {
      return bad(errorText(error));
    }
    throw error;
  }
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; issue: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    return { ok: false, issue: `not JSON (${(error as Error).message})` };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}
