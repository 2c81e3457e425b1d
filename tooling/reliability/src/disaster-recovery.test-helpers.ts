// Disaster recovery, end to end (issue 24 item 4): three real `lattice host` processes on one server, a
// workload of a few thousand entries, `lattice export --out FILE`, the lattice's storage lost (the server's
// store wiped, flushed or its schema dropped), `lattice import FILE` — and every running host, never
// restarted, must be live on exactly the exported entries. A new history is a gap: the hosts resync to it
// (rule 9) by themselves.
// Rules cited here: docs/semantics.md#rule-9.
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { LatticeCache } from "@lattice-cache/core";
import type { LatticeBackend } from "@lattice-cache/core/backend";
import { disposeAll, waitFor } from "@lattice-cache/test-harness";
import { expect } from "vitest";
import { openHost } from "./chaos-host.test-helpers.js";
import { envMs, reportScenario, seconds } from "./chaos-report.test-helpers.js";
import {
  type HostEntries,
  type HostStatus,
  LatticeHostProcess,
  runLatticeJson,
} from "./lattice-cli.test-helpers.js";
import type { RecordingLogger } from "./recording-logger.test-helpers.js";
import { SCENARIO_HOSTS } from "./scenario-steps.test-helpers.js";

/** What the scenario needs of one backend, on its started server. */
export interface DisasterTarget {
  /** The backend's name, for the report: `jetstream`, `redis`, `postgres`. */
  readonly backend: string;
  /** The global flags that choose the backend and its server (`--backend redis --redis-url …`). */
  readonly flags: readonly string[];
  /** The writer's backend on `prefix` (in-process, around the hosts). */
  readonly writerBackend: (prefix: string, logger: RecordingLogger) => LatticeBackend;
  /**
   * Loses everything the server stores of the lattice `prefix`; resolves with the time (ms epoch) from
   * which the server serves again, empty.
   */
  readonly loseStorage: (prefix: string) => Promise<number>;
  /** What the loss is, for the report: `nats-server killed, store wiped, restarted`. */
  readonly loss: string;
}

/** How many entries the workload writes: live entries per collection, and changes on top. */
const WORKLOAD = { linkdefs: 1000, claims: 1500, refmaps: 1000, claimUpdates: 300, refmapDeletes: 200 };
/** Writes in flight while the workload is written. */
const IN_FLIGHT = 64;
/** How long the hosts may take to be live on the restored data (a busy 2-core machine). */
const RESTORE_TIMEOUT_MS = 60_000;
/**
 * How long the lattice rests between the export and the loss. Default 0: the loss comes while the hosts
 * still prove the workload's last deliveries (a head read within 2 s of them), which finds a lost history at
 * once; after a rest, hosts whose connections survive the loss find it at their next audit (Redis, PostgreSQL:
 * 30 s ± 20 %). `LATTICE_CHAOS_DR_REST_MS=5000` measures that case.
 */
const REST_MS = envMs("LATTICE_CHAOS_DR_REST_MS", 0);

/** The export file as read back: its header and storage key → value JSON. */
interface ExportFileContent {
  readonly header: { readonly entries: number; readonly digest: string; readonly revision: number };
  readonly entries: HostEntries;
}

interface ExportSummary {
  readonly entries: number;
  readonly digest: string;
  readonly revision: number;
}

interface ImportSummary {
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly deleted: number;
}

/** Hosts serving the wanted entries: the last statuses, and when each host was first seen serving them. */
interface HostsServing {
  readonly statuses: readonly HostStatus[];
  /** Per host (ms epoch). */
  readonly firstAt: readonly number[];
}

/**
 * One disaster-recovery run: create it at module level with how to start the backend's server, `run` it in the
 * test and `close` it in `afterAll`.
 */
export class DisasterRecovery {
  private readonly hosts: LatticeHostProcess[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), "lattice-dr-"));

  /** @param start - starts the backend's server (through the test harness) and says how to use it */
  constructor(private readonly start: () => Promise<DisasterTarget>) {}

  /** Runs the scenario on a fresh prefix (`prefixStem` and 8 hex digits), asserting and reporting as it goes. */
  async run(prefixStem: string): Promise<void> {
    const target = await this.start();
    const prefix = `${prefixStem}${randomBytes(4).toString("hex")}`;
    const flags = [...target.flags, "--prefix", prefix];
    for (const name of SCENARIO_HOSTS) this.hosts.push(await LatticeHostProcess.start(name, flags));

    const written = await writeWorkload(prefix, target);
    await this.waitForHosts("every host live with the workload", written, () => true);

    const file = join(this.dir, "lattice-backup.jsonl");
    const exported = await runLatticeJson<ExportSummary>([...flags, "export", "--out", file]);
    const backup = readExportFile(file);
    expect(backup.header.entries).toBe(written.size);
    expect(differences(backup.entries, written), "the export holds the whole workload").toEqual([]);

    await sleep(REST_MS);
    const before = await Promise.all(this.hosts.map((host) => host.status()));
    const lostAt = Date.now();
    const emptyAt = await target.loseStorage(prefix);

    const imported = await runLatticeJson<ImportSummary>([...flags, "import", file], 120_000);
    expect(imported).toMatchObject({ created: backup.entries.size, updated: 0, unchanged: 0, deleted: 0 });
    // A new history is a gap: each host resyncs (rule 9) — before the import when it sees the empty store
    // first (and serves it), else when it sees the imported one.
    const restored = await this.waitForHosts(
      "every host resynced to the new history and live on the restored data",
      backup.entries,
      (status, i) => status.counters.resyncs > before[i]!.counters.resyncs,
    );
    const liveAt = Math.max(...restored.firstAt);

    // Nothing of the export is missing anywhere, and the hosts are the processes started at the beginning.
    for (const host of this.hosts) {
      expect(host.alive, `${host.name} still running, never restarted`).toBe(true);
      expect(differences(await host.entries(), backup.entries), `${host.name} holds the export`).toEqual([]);
    }
    for (const [i, status] of restored.statuses.entries()) {
      const host = this.hosts[i]!;
      expect(
        status.counters.resyncs - before[i]!.counters.resyncs,
        `${host.name}: one resync per new history\n${host.tail(30)}`,
      ).toBe(1);
    }
    const digests = new Set(restored.statuses.map((status) => status.digest));
    expect(digests.size, "every host reports the same digest (rule 2)").toBe(1);
    const again = await runLatticeJson<ExportSummary>([
      ...flags,
      "export",
      "--out",
      join(this.dir, "after-restore.jsonl"),
    ]);
    expect(again.digest, "the restored backend's content digest is the export's").toBe(exported.digest);
    expect(again.entries).toBe(exported.entries);

    const afterImport = restored.firstAt.map((at) => Math.max(0, at - imported.endedAt));
    const resyncs = restored.statuses.reduce(
      (n, s, i) => n + s.counters.resyncs - before[i]!.counters.resyncs,
      0,
    );
    reportScenario(
      `disaster-recovery-${target.backend}`,
      `${target.loss}${REST_MS > 0 ? ` after ${seconds(REST_MS)} at rest` : ""}; lattice import of ${backup.entries.size} entries took ${seconds(imported.durationMs)}; ` +
        `every host (never restarted) live on the restored data ${seconds(liveAt - imported.endedAt)} after ` +
        `the import's end (each: ${afterImport.map(seconds).join(", ")}), ${seconds(liveAt - emptyAt)} after ` +
        `the server was back empty; ${resyncs} resyncs; 0 entries lost; content digest ` +
        `${exported.digest.slice(0, 8)}`,
      {
        entries: backup.entries.size,
        lost: 0,
        exportMs: exported.durationMs,
        lossMs: emptyAt - lostAt,
        importMs: imported.durationMs,
        liveAfterImportMs: liveAt - imported.endedAt,
        liveAfterEmptyMs: liveAt - emptyAt,
        resyncs,
        restMs: REST_MS,
        exportRevision: exported.revision,
      },
    );
  }

  /** Stops the hosts, removes the export files and disposes of every server the harness started. */
  async close(): Promise<void> {
    await Promise.all(this.hosts.map((host) => host.stop()));
    rmSync(this.dir, { recursive: true, force: true });
    await disposeAll();
  }

  /**
   * Waits until every host is live at its backend's head, `ready` holds for its status and it serves exactly
   * `want` (its `/entries` is read only once its status says it holds as many).
   */
  private async waitForHosts(
    what: string,
    want: HostEntries,
    ready: (status: HostStatus, index: number) => boolean,
  ): Promise<HostsServing> {
    const firstAt: number[] = [];
    let statuses: HostStatus[] = [];
    const serving = async (host: LatticeHostProcess, i: number): Promise<boolean> => {
      const s = statuses[i]!;
      const held = s.counts.linkdefs + s.counts.claims + s.counts.refmaps;
      const ok =
        s.state === "live" &&
        s.revision === s.backendRevision &&
        held === want.size &&
        ready(s, i) &&
        sameEntries(await host.entries(), want);
      if (ok) firstAt[i] ??= Date.now();
      return ok;
    };
    try {
      await waitFor(
        async () => {
          statuses = await Promise.all(this.hosts.map((host) => host.status()));
          const all = await Promise.all(this.hosts.map(serving));
          return all.every(Boolean);
        },
        { timeoutMs: RESTORE_TIMEOUT_MS, intervalMs: 100, what },
      );
    } catch (error) {
      const states = statuses.map((s, i) => `  ${this.hosts[i]!.name}: ${JSON.stringify(s)}`).join("\n");
      const logs = this.hosts.map((host) => host.tail()).join("\n");
      throw new Error(`${(error as Error).message}\n${states}\n${logs}`);
    }
    return { statuses, firstAt };
  }
}

/**
 * Writes the workload through an in-process writer on `prefix` — puts of every collection, then updates of
 * some claims and deletes of some reference maps — and resolves with the live entries it left (storage key →
 * value JSON).
 */
async function writeWorkload(prefix: string, target: DisasterTarget): Promise<HostEntries> {
  const writer = await openHost("writer", (logger) => target.writerBackend(prefix, logger));
  try {
    const { cache } = writer;
    await inParallel(WORKLOAD.linkdefs, (i) =>
      cache.linkdefs.put({
        actor_id: `MDRACTOR${i}`,
        contract_id: `wasmcloud:dr${i % 5}`,
        provider_id: `VDRPROVIDER${i % 17}`,
        values: { URL: `redis://dr-${i}.local:6379`, PASSWORD: `secret-${i}` },
      }),
    );
    await inParallel(WORKLOAD.claims, (i) =>
      cache.claims.put({ sub: `MDRCLAIM${i}`, name: `app-${i}`, version: "0.1.0", tags: ["dr"] }),
    );
    await inParallel(WORKLOAD.refmaps, (i) =>
      cache.refmaps.put({ oci_url: `registry.local/dr/app${i}:v1`, public_key: `MDRCLAIM${i}` }),
    );
    await inParallel(WORKLOAD.claimUpdates, (i) =>
      cache.claims.put({ sub: `MDRCLAIM${i}`, name: `app-${i}`, version: "0.2.0", tags: ["dr", "updated"] }),
    );
    await inParallel(WORKLOAD.refmapDeletes, (i) => cache.refmaps.delete(`registry.local/dr/app${i}:v1`));
    return liveEntries(cache);
  } finally {
    await writer.cache.close();
  }
}

/** Runs `write(0)` … `write(count - 1)` with {@link IN_FLIGHT} at a time. */
async function inParallel(count: number, write: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < count; i = next++) await write(i);
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

/** What a cache holds: storage key → value JSON, every collection. */
function liveEntries(cache: LatticeCache): HostEntries {
  const out = new Map<string, string>();
  for (const handle of [cache.linkdefs, cache.claims, cache.refmaps]) {
    for (const entry of handle.entries()) out.set(entry.key, JSON.stringify(entry.value));
  }
  return out;
}

/** Reads an export file back (the header's count and digest, every entry line). */
function readExportFile(path: string): ExportFileContent {
  const lines = readFileSync(path, "utf8").trimEnd().split("\n");
  const header = JSON.parse(lines[0]!) as ExportFileContent["header"];
  expect(JSON.parse(lines.at(-1)!)).toMatchObject({
    end: true,
    entries: header.entries,
    digest: header.digest,
  });
  const entries = new Map<string, string>();
  for (const line of lines.slice(1, -1)) {
    const { key, value } = JSON.parse(line) as { key: string; value: unknown };
    entries.set(key, JSON.stringify(value));
  }
  return { header, entries };
}

function sameEntries(held: HostEntries, want: HostEntries): boolean {
  return held.size === want.size && differences(held, want).length === 0;
}

/** How `held` differs from `want`, one line per key (at most 20). */
function differences(held: HostEntries, want: HostEntries): string[] {
  const out: string[] = [];
  for (const [key, value] of want) {
    if (held.get(key) !== value) out.push(`${key}: want ${value}, holds ${held.get(key) ?? "nothing"}`);
  }
  for (const key of held.keys()) if (!want.has(key)) out.push(`${key}: not wanted, held`);
  return out.slice(0, 20);
}
