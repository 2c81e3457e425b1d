// Reading an export file: pass 1 checks all of it without writing anything (header, every line decoded and
// validated, duplicate keys, the trailer with its count and digest), collecting every problem with its line
// number; pass 2 streams its entries again. Memory stays flat: lines are read one at a time, and the keys are
// kept as 64-bit hashes (key-table.ts).
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { CollectionName } from "@lattice-cache/core";
import { ContentDigest } from "./content-digest.js";
import { KeyTable } from "./key-table.js";
import {
  decodeBodyLine,
  decodeHeader,
  type ExportHeader,
  type ExportTrailer,
  type LineProblem,
  type TransferEntry,
} from "./transfer-format.js";

/** Problems kept in full; past this only their number. */
const MAX_PROBLEMS = 100;
const IN_FILE = 1;

/** What pass 1 found. */
export interface CheckedFile {
  /** The header (undefined when line 1 is not one). */
  readonly header: ExportHeader | undefined;
  /** Every problem, in line order (at most {@link MAX_PROBLEMS}); empty when the file can be imported. */
  readonly problems: readonly LineProblem[];
  /** Problems beyond those listed. */
  readonly moreProblems: number;
  /** Entry lines that decoded. */
  readonly entries: number;
  /** The keys of those entries (for `--mode replace`: what the file holds). */
  readonly keys: { has(key: string): boolean };
}

/** Reads the lines of `path`, numbered from 1. */
async function* lines(path: string): AsyncGenerator<[string, number]> {
  const input = createReadStream(path, { encoding: "utf8" });
  const reader = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  try {
    for await (const line of reader) yield [line, ++n];
  } finally {
    reader.close();
    input.destroy();
  }
}

/** Pass 1: checks the whole file. Throws only when it cannot be read. */
export async function checkExportFile(path: string, maxValueBytes: number): Promise<CheckedFile> {
  const problems: LineProblem[] = [];
  let more = 0;
  const problem = (p: LineProblem) => {
    if (problems.length < MAX_PROBLEMS) problems.push(p);
    else more++;
  };
  const keys = new KeyTable();
  const digest = new ContentDigest();
  const counts = new Map<CollectionName, number>();
  let header: ExportHeader | undefined;
  let collections = new Set<CollectionName>();
  let trailer: { value: ExportTrailer; line: number } | undefined;
  let sawLine = false;
  for await (const [text, line] of lines(path)) {
    sawLine = true;
    if (line === 1) {
      const decoded = decodeHeader(text);
      if ("line" in decoded) {
        problem(decoded);
        break;
      }
      header = decoded;
      collections = new Set(Object.keys(decoded.collections) as CollectionName[]);
      continue;
    }
    if (trailer) {
      if (text.trim() !== "") problem({ line, text: `a line after the trailer (line ${trailer.line})` });
      continue;
    }
    const body = decodeBodyLine(text, line, { collections, maxValueBytes });
    if (body.kind === "problem") problem(body.problem);
    else if (body.kind === "trailer") trailer = { value: body.trailer, line };
    else {
      const { key, collection, bytes } = body.entry;
      const { slot, added } = keys.insert(key, IN_FILE, line);
      if (!added) {
        problem({ line, text: `duplicate key ${key} (first on line ${keys.number(slot)})` });
        continue;
      }
      digest.add(key, bytes);
      counts.set(collection, (counts.get(collection) ?? 0) + 1);
    }
  }
  if (!sawLine) problem({ line: 0, text: "the file is empty (an export starts with its header line)" });
  else if (header && !trailer) {
    problem({
      line: 0,
      text: 'no trailer ({"end":true,…}): the file is incomplete — truncated, or still being written',
    });
  }
  if (header && trailer && problems.length === 0) {
    const found = digest.entries;
    const at = (text: string) => problem({ line: trailer.line, text });
    if (trailer.value.entries !== found)
      at(`the trailer counts ${trailer.value.entries} entries; the file holds ${found}`);
    else if (trailer.value.digest !== digest.hex()) {
      at(
        `the trailer's digest ${trailer.value.digest} is not the entries' (${digest.hex()}): the file was altered`,
      );
    }
    if (header.entries !== found || header.digest !== trailer.value.digest) {
      problem({ line: 1, text: "the header's entry count or digest is not the trailer's" });
    }
    for (const [name, count] of Object.entries(header.collections)) {
      const actual = counts.get(name as CollectionName) ?? 0;
      if (actual !== count)
        problem({ line: 1, text: `the header counts ${count} ${name}; the file holds ${actual}` });
    }
  }
  return {
    header,
    problems,
    moreProblems: more,
    entries: digest.entries,
    keys: { has: (key) => keys.find(key) >= 0 },
  };
}

/** Pass 2: the entries of a file pass 1 accepted, in file order. */
export async function* readExportEntries(
  path: string,
  header: ExportHeader,
  maxValueBytes: number,
): AsyncGenerator<TransferEntry> {
  const collections = new Set(Object.keys(header.collections) as CollectionName[]);
  for await (const [text, line] of lines(path)) {
    if (line === 1) continue;
    const body = decodeBodyLine(text, line, { collections, maxValueBytes });
    if (body.kind === "trailer") return;
    // The file changed since it was checked: stop rather than write what was not checked.
    if (body.kind === "problem")
      throw new Error(`line ${line} changed since the file was checked: ${body.problem.text}`);
    yield body.entry;
  }
}

/** A problem as printed: `FILE:LINE: text` (the file itself for line 0). */
export function formatLineProblem(file: string, p: LineProblem): string {
  return p.line === 0 ? `${file}: ${p.text}` : `${file}:${p.line}: ${p.text}`;
}
