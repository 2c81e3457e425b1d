// export.<n> and export.<n>.heap: `lattice export`'s exporter (in-process, the code the command runs) writing a
// bucket of n link definitions to a file, versus what a user would write with the raw client — a kv.watch()
// replay written out as JSON lines until the head; entries/s and the peak heap of each.

import { once } from "node:events";
import { createWriteStream, rmSync } from "node:fs";
import { join } from "node:path";
import { COLLECTION_NAMES } from "@lattice-cache/core";
import { ExportFile, exportLattice } from "@lattice-cache/host";
import { JetStreamBackend } from "@lattice-cache/jetstream";
import type { NatsServerHandle } from "@lattice-cache/test-harness";
import type { BenchContext } from "../bench-context.js";
import { rawBucket, withRawConnection } from "../clients.js";
import { measuredRows, measureRun } from "../measured-run.js";
import { type BenchResult, sizeLabel } from "../result.js";
import { fillBucket } from "../sample-bucket.js";

/** Publishes awaiting their acks while a bucket is filled. */
export const FILL_IN_FLIGHT = 1024;
/** nats.js's JetStream API timeout for the raw watcher: its creation on a million subjects takes seconds. */
const RAW_API_TIMEOUT_MS = 60_000;
/** The exporter's longest feed silence before it gives up (the CLI passes `readyTimeoutMs`). */
const EXPORT_IDLE_TIMEOUT_MS = 60_000;

/**
 * `lattice export --out`'s work with our exporter: connect, open, take the snapshot and write the export file of
 * the bucket of `prefix`. Returns the entries written.
 */
export async function exportToFile(
  servers: string,
  prefix: string,
  path: string,
  options: { readonly spoolDir?: string; readonly tick?: () => void } = {},
): Promise<number> {
  const backend = new JetStreamBackend({ servers, prefix });
  try {
    await backend.open();
    const report = await exportLattice(backend, {
      prefix,
      sourceBackend: backend.name,
      collections: [...COLLECTION_NAMES],
      idleTimeoutMs: EXPORT_IDLE_TIMEOUT_MS,
      output: new ExportFile(path),
      ...(options.spoolDir === undefined ? {} : { spoolDir: options.spoolDir }),
      ...(options.tick === undefined ? {} : { onReceived: options.tick, onWritten: options.tick }),
    });
    return report.entries;
  } finally {
    await backend.close();
  }
}

/**
 * The raw peer: connect, open the bucket, `kv.watch()` (each key's last value, no history) and write every put
 * as a `{"key","value"}` JSON line to a 0600 file, respecting the stream's backpressure, until the replay reaches
 * the head (`delta` 0). No dedupe, no validation, no header, digest or trailer. Returns the entries written.
 */
async function rawExportToFile(
  servers: string,
  prefix: string,
  path: string,
  tick: () => void,
): Promise<number> {
  return withRawConnection(servers, async (nc) => {
    const kv = await rawBucket(nc, prefix, RAW_API_TIMEOUT_MS);
    const out = createWriteStream(path, { mode: 0o600 });
    const watch = await kv.watch();
    let entries = 0;
    for await (const entry of watch) {
      if (entry.operation === "PUT") {
        entries++;
        if (!out.write(`{"key":${JSON.stringify(entry.key)},"value":${entry.string()}}\n`))
          await once(out, "drain");
      }
      tick();
      if (entry.delta === 0) break;
    }
    watch.stop();
    out.end();
    await once(out, "close");
    return entries;
  });
}

/** Runs the export rows on `server`, over a bucket of `ctx.sizes.exportEntries` entries filled first. */
export async function exportScenario(
  ctx: BenchContext,
  server: NatsServerHandle,
  dir: string,
): Promise<BenchResult[]> {
  const n = ctx.sizes.exportEntries;
  const label = sizeLabel(n);
  const prefix = ctx.newPrefix("export");
  ctx.progress(`export.${label}: filling a bucket with ${n.toLocaleString("en-US")} link definitions`);
  await withRawConnection(server.url, (nc) =>
    fillBucket(nc, prefix, n, {
      inFlight: FILL_IN_FLIGHT,
      progressEvery: 100_000,
      progress: (done) => ctx.progress(`export.${label}: ${done.toLocaleString("en-US")} written`),
    }),
  );

  ctx.progress(`export.${label}: raw kv.watch() replay written as JSON lines`);
  const rawPath = join(dir, "raw-export.jsonl");
  const raw = await measureRun((tick) => rawExportToFile(server.url, prefix, rawPath, tick));
  rmSync(rawPath);
  if (raw.entries !== n) throw new Error(`the raw replay wrote ${raw.entries} entries, expected ${n}`);

  ctx.progress(`export.${label}: our exporter (lattice export --out)`);
  const oursPath = join(dir, "export.jsonl");
  const ours = await measureRun((tick) =>
    exportToFile(server.url, prefix, oursPath, { spoolDir: dir, tick }),
  );
  rmSync(oursPath);
  if (ours.entries !== n) throw new Error(`the exporter wrote ${ours.entries} entries, expected ${n}`);

  return measuredRows(
    `export.${label}`,
    n,
    { ours, raw },
    {
      does:
        "connect, open the bucket, kv.watch() replay (last values) written as JSON lines to a file " +
        "(a write stream, awaiting drain) until the head",
      named: "that replay",
    },
    `${n.toLocaleString("en-US")} entries; the raw replay skips: dedupe of keys written during it, validation, digest, trailer`,
  );
}
