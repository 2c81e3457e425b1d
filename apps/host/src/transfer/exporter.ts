// `lattice export`'s work: a snapshot of the lattice (lattice-snapshot.ts) written in the export format — the
// header with the counts and digest, each live entry, the trailer.
import type { CollectionName } from "@lattice-cache/core";
import type { LatticeBackend } from "@lattice-cache/core/backend";
import type { ExportOutput } from "./export-output.js";
import { type SnapshotOptions, takeSnapshot } from "./lattice-snapshot.js";
import {
  type ExportHeader,
  encodeEntry,
  encodeHeader,
  encodeTrailer,
  TRANSFER_FORMAT,
  TRANSFER_VERSION,
} from "./transfer-format.js";

/** Options of {@link exportLattice}. */
export interface ExportOptions extends SnapshotOptions {
  /** The lattice prefix (for the header). */
  readonly prefix: string;
  /** The backend's name (for the header). */
  readonly sourceBackend: string;
  /** Where the lines go. */
  readonly output: ExportOutput;
  /** Called as entries are written, with the count so far. */
  readonly onWritten?: (written: number, total: number) => void;
  /** The clock (tests). Default: now. */
  readonly now?: () => Date;
}

/** What an export did: its header (revision, epoch, counts, digest). */
export interface ExportReport extends ExportHeader {
  /** Changes the feed delivered to build the snapshot. */
  readonly received: number;
}

/** Exports the lattice on `backend` (opened) to `options.output`, then commits it; aborts it on failure. */
export async function exportLattice(backend: LatticeBackend, options: ExportOptions): Promise<ExportReport> {
  const { output } = options;
  try {
    const snapshot = await takeSnapshot(backend, options);
    try {
      const header: ExportHeader = {
        format: TRANSFER_FORMAT,
        version: TRANSFER_VERSION,
        prefix: options.prefix,
        sourceBackend: options.sourceBackend,
        revision: snapshot.revision,
        epoch: snapshot.epoch,
        exportedAt: (options.now?.() ?? new Date()).toISOString(),
        collections: ordered(snapshot.counts, options.collections),
        entries: snapshot.entries,
        digest: snapshot.digest,
      };
      output.write(encodeHeader(header));
      let written = 0;
      for (const entry of snapshot.read()) {
        output.write(encodeEntry(entry));
        written++;
        options.onWritten?.(written, snapshot.entries);
      }
      output.write(encodeTrailer({ end: true, entries: written, digest: snapshot.digest }));
      output.commit();
      return { ...header, received: snapshot.received };
    } finally {
      snapshot.remove();
    }
  } catch (error) {
    output.abort();
    throw error;
  }
}

/** The counts in the order the collections were asked for. */
function ordered(
  counts: Readonly<Partial<Record<CollectionName, number>>>,
  collections: readonly CollectionName[],
): Partial<Record<CollectionName, number>> {
  const out: Partial<Record<CollectionName, number>> = {};
  for (const name of collections) out[name] = counts[name] ?? 0;
  return out;
}
