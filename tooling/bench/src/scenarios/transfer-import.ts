// import.<n> and import.<n>.heap: `lattice import`'s check and import writer (in-process, the code the command
// runs) loading an export file of n link definitions into an empty lattice, versus what a user would write with
// the raw client — kv.put of each line with 256 in flight; entries/s and the peak heap of each.
import { createReadStream, rmSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { CollectionName } from "@lattice-cache/core";
import { checkExportFile, DEFAULT_CONFIG, importEntries, readExportEntries } from "@lattice-cache/host";
import { JetStreamBackend } from "@lattice-cache/jetstream";
import type { NatsServerHandle } from "@lattice-cache/test-harness";
import type { KV } from "@nats-io/kv";
import type { BenchContext } from "../bench-context.js";
import { rawBucket, withRawConnection } from "../clients.js";
import { measuredRows, measureRun } from "../measured-run.js";
import { type BenchResult, sizeLabel } from "../result.js";
import { fillBucket } from "../sample-bucket.js";
import { exportToFile, FILL_IN_FLIGHT } from "./transfer-export.js";

/** Writes in flight in the raw peer (the import writer's own limit is 256 too). */
const RAW_IN_FLIGHT = 256;
/** The largest value the import accepts: the host's default. */
const MAX_VALUE_BYTES = DEFAULT_CONFIG.maxValueBytes;

/** The export file the rows import: a bucket of n sample entries exported with our exporter (not timed). */
async function makeExportFile(ctx: BenchContext, servers: string, n: number, path: string): Promise<void> {
  const prefix = ctx.newPrefix("import_source");
  await withRawConnection(servers, (nc) => fillBucket(nc, prefix, n, { inFlight: FILL_IN_FLIGHT }));
  await exportToFile(servers, prefix, path);
}

/**
 * Ours: check the whole file (pass 1), open the backend on the empty lattice, read its state (a flat snapshot)
 * and write every entry with compare-and-swap (pass 2) — what `lattice import FILE` does. Returns the entries
 * created.
 */
async function importFile(servers: string, prefix: string, path: string, tick: () => void): Promise<number> {
  const checked = await checkExportFile(path, MAX_VALUE_BYTES);
  if (!checked.header || checked.problems.length > 0) {
    throw new Error(`the export file does not check: ${JSON.stringify(checked.problems.slice(0, 3))}`);
  }
  const backend = new JetStreamBackend({ servers, prefix });
  await backend.open();
  try {
    const target = { backend, origin: "bench-import", maxValueBytes: MAX_VALUE_BYTES };
    const summary = await importEntries(target, readExportEntries(path, checked.header, MAX_VALUE_BYTES), {
      mode: "merge",
      dryRun: false,
      collections: Object.keys(checked.header.collections) as CollectionName[],
      holds: checked.keys.has,
      idleTimeoutMs: 60_000,
      onProgress: tick,
    });
    return summary.created;
  } finally {
    await backend.close();
  }
}

/** `kv.put`s with at most `limit` in flight: `put` waits for a free place; `drain` for all; the first failure is thrown. */
function putPool(kv: KV, limit: number, tick: () => void) {
  let inFlight = 0;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const settled = () => {
    inFlight--;
    tick();
    wake?.();
    wake = undefined;
  };
  const room = async (max: number) => {
    while (inFlight > max) await new Promise<void>((resolve) => (wake = resolve));
    if (failure) throw failure;
  };
  return {
    async put(key: string, value: string): Promise<void> {
      await room(limit - 1);
      inFlight++;
      kv.put(key, value).then(settled, (error: unknown) => {
        failure ??= error;
        settled();
      });
    },
    drain: () => room(0),
  };
}

/**
 * The raw peer: connect, open the bucket, read the file line by line and `kv.put` each entry line's value (the
 * key as written, the value re-stringified) with {@link RAW_IN_FLIGHT} in flight. No check of the whole file
 * first, no validation, no compare-and-swap (a concurrent writer's change is overwritten).
 */
async function rawImportFile(
  servers: string,
  prefix: string,
  path: string,
  tick: () => void,
): Promise<number> {
  return withRawConnection(servers, async (nc) => {
    const kv = await rawBucket(nc, prefix);
    const pool = putPool(kv, RAW_IN_FLIGHT, tick);
    const input = createReadStream(path, { encoding: "utf8" });
    let entries = 0;
    for await (const line of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
      const record = JSON.parse(line) as { key?: string; value?: unknown };
      if (typeof record.key !== "string") continue; // the header and the trailer
      await pool.put(record.key, JSON.stringify(record.value));
      entries++;
    }
    await pool.drain();
    return entries;
  });
}

/** Runs the import rows on `server`: an export file of `ctx.sizes.importEntries` entries into two empty lattices. */
export async function importScenario(
  ctx: BenchContext,
  server: NatsServerHandle,
  dir: string,
): Promise<BenchResult[]> {
  const n = ctx.sizes.importEntries;
  const label = sizeLabel(n);
  const path = join(dir, "import.jsonl");
  ctx.progress(`import.${label}: an export file of ${n.toLocaleString("en-US")} link definitions`);
  await makeExportFile(ctx, server.url, n, path);

  ctx.progress(`import.${label}: raw kv.put of each line, ${RAW_IN_FLIGHT} in flight`);
  const rawPrefix = ctx.newPrefix("import_raw");
  const raw = await measureRun((tick) => rawImportFile(server.url, rawPrefix, path, tick));
  if (raw.entries !== n) throw new Error(`the raw peer put ${raw.entries} entries, expected ${n}`);

  ctx.progress(`import.${label}: our import (lattice import FILE) into an empty lattice`);
  const ours = await measureRun((tick) => importFile(server.url, ctx.newPrefix("import"), path, tick));
  if (ours.entries !== n) throw new Error(`the import created ${ours.entries} entries, expected ${n}`);
  rmSync(path);

  return measuredRows(
    `import.${label}`,
    n,
    { ours, raw },
    {
      does: `connect, open the bucket, read the file line by line, kv.put of each entry, ${RAW_IN_FLIGHT} in flight`,
      named: "that import",
    },
    `${n.toLocaleString("en-US")} entries into an empty lattice; the raw puts skip the file check, validation, reading the target's state, CAS`,
  );
}
