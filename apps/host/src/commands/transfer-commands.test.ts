// `lattice export` and `lattice import` through the built CLI on real servers: round trips on redis and jetstream,
// the file's mode, bad files that write nothing, idempotence, replace, and an interrupted import run again.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LatticeCache } from "@lattice-cache/core";
import {
  disposeAll,
  type NatsServerHandle,
  type RedisServerHandle,
  startNatsServer,
  startRedisServer,
  waitFor,
} from "@lattice-cache/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHostContainer, openLatticeCache } from "../composition/host-container.js";
import { closeCacheWithin } from "../composition/open-cache.js";
import { loadConfig } from "../config/load-config.js";
import { createHostLogger } from "../observability/host-logger.js";
import {
  cleanEnv,
  killAllLattice,
  LatticeProcess,
  runLattice,
} from "../test-support/lattice-process.test-helpers.js";
import { exportFileText, refmapEntry } from "../transfer/export-file.test-helpers.js";

let nats: NatsServerHandle;
let redis: RedisServerHandle;
const dir = mkdtempSync(join(tmpdir(), "lattice-transfer-"));
const env = cleanEnv({ XDG_DATA_HOME: dir });

beforeAll(async () => {
  [nats, redis] = await Promise.all([startNatsServer(), startRedisServer()]);
});
afterAll(async () => {
  await killAllLattice();
  await disposeAll();
  rmSync(dir, { recursive: true, force: true });
});

const BACKENDS = {
  redis: () => ["--backend", "redis", "--redis-url", redis.url],
  jetstream: () => ["--backend", "jetstream", "--nats-url", nats.url],
};
type BackendName = keyof typeof BACKENDS;

function lattice(backend: BackendName, prefix: string, args: readonly string[], input?: string) {
  return runLattice([...args, ...BACKENDS[backend](), "--prefix", prefix], { env, input, timeoutMs: 60_000 });
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The digest of an export of `prefix` (stdout), or the exit code when it fails. */
async function digestOf(backend: BackendName, prefix: string): Promise<string | number> {
  const run = await lattice(backend, prefix, ["export"]);
  if (run.code !== 0) return run.code ?? -1;
  return JSON.parse(run.stdout.split("\n")[0] as string).digest;
}

for (const backend of Object.keys(BACKENDS) as BackendName[]) {
  describe(`lattice export / import on ${backend}`, () => {
    it("round trip: the export file is 0600 (and says so), an import into a new prefix has its digest, a second import writes nothing", async () => {
      const source = `${backend}-src`;
      for (const args of [
        [
          "linkdefs",
          "put",
          "--actor",
          "MA",
          "--provider",
          "VP",
          "--contract",
          "wasmcloud:kv",
          "--value",
          "PASSWORD=secret",
        ],
        ["refmaps", "put", "oci://reg/a:1", "MA"],
        ["refmaps", "put", "oci://reg/b:1", "MB"],
        ["refmaps", "del", "oci://reg/b:1"],
      ]) {
        const run = await lattice(backend, source, args);
        expect(run.code, run.stderr).toBe(0);
      }
      expect(
        (await lattice(backend, source, ["claims", "put", "--file", "-"], '{"sub":"MA","name":"a"}')).code,
      ).toBe(0);

      const path = join(dir, `${backend}.jsonl`);
      const exported = await lattice(backend, source, ["export", "--out", path, "--json"]);
      expect(exported.code, exported.stderr).toBe(0);
      expect(exported.stderr).toContain("mode 0600");
      expect(statSync(path).mode & 0o777).toBe(0o600);
      const report = JSON.parse(exported.stdout);
      expect(report).toMatchObject({
        format: "lattice-export",
        version: 1,
        prefix: source,
        sourceBackend: backend,
        collections: { linkdefs: 1, claims: 1, refmaps: 1 },
        entries: 3,
      });
      const lines = readFileSync(path, "utf8").trimEnd().split("\n");
      expect(lines).toHaveLength(5);
      expect(JSON.parse(lines.at(-1) as string)).toEqual({ end: true, entries: 3, digest: report.digest });

      const restored = `${backend}-restored`;
      const first = await lattice(backend, restored, ["import", path, "--json"]);
      expect(first.code, first.stderr).toBe(0);
      expect(JSON.parse(first.stdout)).toMatchObject({ created: 3, updated: 0, unchanged: 0, deleted: 0 });
      expect(await digestOf(backend, restored)).toBe(report.digest);

      const second = await lattice(backend, restored, ["import", path, "--json"]);
      expect(second.code, second.stderr).toBe(0);
      expect(JSON.parse(second.stdout)).toMatchObject({ created: 0, updated: 0, unchanged: 3, deleted: 0 });
    });

    it("--mode replace deletes what the file does not hold (merge never does); --dry-run writes nothing", async () => {
      const path = file(`${backend}-two.jsonl`, exportFileText([refmapEntry(1), refmapEntry(2)]));
      const prefix = `${backend}-replace`;
      expect((await lattice(backend, prefix, ["import", path])).code).toBe(0);
      expect((await lattice(backend, prefix, ["refmaps", "put", "oci://reg/extra:1", "MX"])).code).toBe(0);
      expect(
        (await lattice(backend, prefix, ["refmaps", "put", "oci://test/app-1:1", "MCHANGED"])).code,
      ).toBe(0);
      const before = await digestOf(backend, prefix);

      const dry = await lattice(backend, prefix, [
        "import",
        path,
        "--mode",
        "replace",
        "--dry-run",
        "--json",
      ]);
      expect(dry.code, dry.stderr).toBe(0);
      expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, updated: 1, unchanged: 1, deleted: 1 });
      expect(await digestOf(backend, prefix)).toBe(before);

      const merged = await lattice(backend, prefix, ["import", path, "--json"]);
      expect(JSON.parse(merged.stdout)).toMatchObject({
        mode: "merge",
        updated: 1,
        unchanged: 1,
        deleted: 0,
      });

      const replaced = await lattice(backend, prefix, ["import", path, "--mode", "replace", "--json"]);
      expect(replaced.code, replaced.stderr).toBe(0);
      expect(JSON.parse(replaced.stdout)).toMatchObject({ mode: "replace", unchanged: 2, deleted: 1 });
      expect(await digestOf(backend, prefix)).toBe(
        JSON.parse(readFileSync(path, "utf8").split("\n")[0] as string).digest,
      );
    });
  });
}

describe("lattice import: a bad file writes nothing (exit 2), every problem with its line number", () => {
  const good = () => exportFileText([refmapEntry(1), refmapEntry(2), refmapEntry(3)]);

  async function refused(name: string, text: string, ...expected: string[]) {
    const prefix = `bad-${name}`;
    const run = await lattice("jetstream", prefix, ["import", file(`${name}.jsonl`, text)]);
    expect(run.code, run.stderr).toBe(2);
    for (const e of expected) expect(run.stderr).toContain(e);
    expect(run.stderr).toContain("nothing was written");
    // Not even the lattice was created (the export of it finds none: exit 3).
    expect(await digestOf("jetstream", prefix)).toBe(3);
  }

  it("a truncated file (no trailer)", async () => {
    const lines = good().split("\n");
    await refused("truncated", `${lines.slice(0, 3).join("\n")}\n`, "no trailer", "incomplete");
  });

  it("bad lines, each reported with its number", async () => {
    const lines = good().split("\n");
    lines[1] = '{"key":"REFMAP_b2NpOi8v","value":{"oci_url":"oci://"}}';
    lines[2] = "{not json";
    await refused(
      "lines",
      lines.join("\n"),
      "lines.jsonl:2:",
      'field "public_key"',
      "lines.jsonl:3:",
      "not JSON",
    );
  });

  it("a duplicate key", async () => {
    const e = refmapEntry(1);
    const text = exportFileText([e, refmapEntry(2)]).replace(
      /\{"end"/,
      `${JSON.stringify({ key: e.key, value: e.value })}\n{"end"`,
    );
    await refused("duplicate", text, "duplicate key", "first on line 2");
  });

  it("another format version", async () => {
    await refused(
      "version",
      good().replace('"version":1', '"version":2'),
      "version 2 is not supported",
      "newer lattice",
    );
  });

  it("an altered value (the digest no longer matches)", async () => {
    await refused(
      "altered",
      good().replace('"public_key":"MKEY2"', '"public_key":"MEVIL"'),
      "the file was altered",
    );
  });
});

describe("lattice import: an interrupted import, run again, finishes", () => {
  it("is killed mid-way on redis, then a rerun writes the rest and a third run nothing", async () => {
    const n = 4000;
    const entries = Array.from({ length: n }, (_, i) => refmapEntry(i));
    const path = file("big.jsonl", exportFileText(entries));
    const prefix = "resume";
    // A replica of the target in this process, to see the import's writes arrive.
    const config = loadConfig({
      flags: { backend: "redis", redisUrl: redis.url, prefix, createLattice: "always", hostId: "watcher" },
      env: {},
      backends: ["jetstream", "redis", "legacy", "memory", "postgres"],
    });
    const cache: LatticeCache = await openLatticeCache(
      createHostContainer(config, { logger: createHostLogger("silent") }),
    );
    try {
      await cache.ready(15_000);
      const first = LatticeProcess.start(["import", path, ...BACKENDS.redis(), "--prefix", prefix], { env });
      await waitFor(() => cache.refmaps.size > 0 || !first.alive, {
        timeoutMs: 30_000,
        what: "the first writes",
      });
      first.signal("SIGKILL");
      await first.finished();
      const atKill = cache.refmaps.size;

      const second = await lattice("redis", prefix, ["import", path, "--json"]);
      expect(second.code, second.stderr).toBe(0);
      const summary = JSON.parse(second.stdout);
      expect(summary.created + summary.unchanged).toBe(n);
      expect(summary.unchanged).toBeGreaterThanOrEqual(atKill);
      expect(summary.created).toBe(n - summary.unchanged);

      const third = await lattice("redis", prefix, ["import", path, "--json"]);
      expect(JSON.parse(third.stdout)).toMatchObject({ created: 0, updated: 0, unchanged: n });
      expect(await digestOf("redis", prefix)).toBe(
        JSON.parse(readFileSync(path, "utf8").split("\n")[0] as string).digest,
      );
    } finally {
      await closeCacheWithin(cache, 3000);
    }
  });
});
