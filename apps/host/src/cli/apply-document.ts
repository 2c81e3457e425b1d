// The file `lattice apply -f` reads: JSON or YAML holding link definitions, claims and reference maps, each
// item validated as its own `put` command validates it, every problem collected with its place in the file.
//
//   linkdefs: [ { actor_id, provider_id, contract_id, link_name?, values? }, … ]
//   claims:   [ { sub, name?, iss?, caps?, … }, … ]
//   refmaps:  { "<oci url>": "<public key>", … }   (or a list of { oci_url, public_key })
import type { CollectionName } from "@lattice-cache/core";
import { type Document, LineCounter, parseDocument } from "yaml";
import { assertPublicKey, assertSubjectToken, checkedValue } from "./checked-input.js";
import { UsageError } from "./cli-errors.js";
import { COLLECTION_CODECS } from "./collection-codecs.js";

/** One valid item of the file, normalized. */
export interface ApplyItem {
  readonly collection: CollectionName;
  /** Its storage key. */
  readonly key: string;
  /** Where it is in the file: `linkdefs[2]`, `refmaps["ghcr.io/acme/echo:0.1.0"]`. */
  readonly position: string;
  /** The normalized value (the collection codec's `parse`). */
  readonly value: unknown;
}

/** One invalid item (or a wrong top-level field), with its place in the file. */
export interface ApplyProblem {
  readonly position: string;
  /** 1-based line in the file, when known. */
  readonly line?: number;
  readonly message: string;
}

/** The file's items: all valid (`problems` empty) or nothing to write. */
export interface ApplyDocument {
  readonly items: readonly ApplyItem[];
  readonly problems: readonly ApplyProblem[];
}

const SECTIONS: readonly CollectionName[] = ["linkdefs", "claims", "refmaps"];

/**
 * Parses `text` (JSON when `source` ends in `.json` or the text starts with `{`, YAML otherwise) and validates
 * every item. Throws `UsageError` when the text cannot be parsed at all or is not an object.
 */
export function readApplyDocument(text: string, source: string, maxValueBytes: number): ApplyDocument {
  const lines = new LineCounter();
  const { doc, root } = parseText(text, source, lines);
  if (root === null || root === undefined) return { items: [], problems: [] };
  if (!isRecord(root)) {
    throw new UsageError(`${source} must hold an object with linkdefs, claims and/or refmaps`);
  }
  const items: ApplyItem[] = [];
  const problems: ApplyProblem[] = [];
  const lineOf = (path: readonly (string | number)[]): number | undefined => {
    const node = doc.getIn(path, true) as { range?: [number, number, number] } | undefined;
    return node?.range ? lines.linePos(node.range[0]).line : undefined;
  };
  for (const field of Object.keys(root)) {
    if (!SECTIONS.includes(field as CollectionName)) {
      problems.push({
        position: field,
        line: lineOf([field]),
        message: `unknown field "${field}" (expected linkdefs, claims, refmaps)`,
      });
    }
  }
  const firstAt = new Map<string, string>();
  for (const section of SECTIONS) {
    for (const raw of sectionItems(section, root[section])) {
      const line = lineOf(raw.path);
      const position = positionText(raw.path);
      if (raw.problem !== undefined) {
        problems.push({ position, line, message: raw.problem });
        continue;
      }
      try {
        const value = validItem(section, raw.input, maxValueBytes);
        const key = COLLECTION_CODECS[section].keyOfValue(value);
        const earlier = firstAt.get(key);
        if (earlier !== undefined) {
          problems.push({ position, line, message: `names the same entry as ${earlier} (${key})` });
          continue;
        }
        firstAt.set(key, position);
        items.push({ collection: section, key, position, value });
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        problems.push({ position, line, message: error.message.replace(/; nothing was sent$/, "") });
      }
    }
  }
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { items, problems };
}

/** `file:line position: message`, one problem per line. */
export function formatApplyProblem(source: string, problem: ApplyProblem): string {
  const where = problem.line === undefined ? source : `${source}:${problem.line}`;
  return `${where} ${problem.position}: ${problem.message}`;
}

/** The parsed document (for line numbers) and its value — JSON's own parse for JSON, so values are exact. */
function parseText(text: string, source: string, lines: LineCounter): { doc: Document; root: unknown } {
  const json = source.endsWith(".json") || /^\s*[[{]/.test(text);
  let root: unknown;
  if (json) {
    try {
      root = JSON.parse(text);
    } catch (error) {
      throw new UsageError(`${source} is not valid JSON: ${(error as Error).message}`, { cause: error });
    }
  }
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: !json });
  const [first] = doc.errors;
  if (first && !json) throw new UsageError(`${source} is not valid YAML: ${first.message}`, { cause: first });
  return { doc, root: json ? root : doc.toJS() };
}

interface RawItem {
  readonly path: readonly (string | number)[];
  readonly input?: unknown;
  readonly problem?: string;
}

function sectionItems(section: CollectionName, raw: unknown): RawItem[] {
  if (raw === undefined || raw === null) return [];
  if (section === "refmaps" && isRecord(raw)) {
    return Object.entries(raw).map(([ociUrl, publicKey]) => ({
      path: [section, ociUrl],
      input: { oci_url: ociUrl, public_key: publicKey },
    }));
  }
  if (!Array.isArray(raw)) {
    const expected = section === "refmaps" ? "an object of OCI reference → public key, or a list" : "a list";
    return [{ path: [section], problem: `must be ${expected}` }];
  }
  return raw.map((input, index) => ({ path: [section, index], input }));
}

/** Validates one item exactly as `linkdefs put` / `claims put` / `refmaps put` would (throws `UsageError`). */
function validItem(section: CollectionName, input: unknown, maxValueBytes: number): unknown {
  const value = checkedValue(COLLECTION_CODECS[section], input, maxValueBytes);
  if (section === "linkdefs") {
    const l = value as Record<string, string>;
    assertSubjectToken(l.actor_id as string, "actor_id");
    assertSubjectToken(l.provider_id as string, "provider_id");
    assertSubjectToken(l.contract_id as string, "contract_id");
    assertSubjectToken(l.link_name as string, "link_name");
  } else if (section === "refmaps") {
    assertPublicKey((value as Record<string, string>).public_key as string, "public_key");
  }
  return value;
}

function positionText(path: readonly (string | number)[]): string {
  const [head, ...rest] = path;
  return `${head}${rest.map((p) => (typeof p === "number" ? `[${p}]` : `[${JSON.stringify(p)}]`)).join("")}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
