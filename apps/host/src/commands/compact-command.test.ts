// End to end: `lattice compact` as a process against a real nats-server and redis-server — a dry run that
// lists and removes nothing, a real run that removes exactly the old delete markers (checked against what the
// server holds), `--json`, progress on stderr, a lease held by another host, and bad usage refused (exit 2).
// Rules cited here: docs/semantics.md#rule-6.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { CompactionReport } from "@lattice-cache/core";
import {
  COMPACTION_LEASE_KEY,
  encodeCompactionLease,
  type LatticeBackend,
} from "@lattice-cache/core/backend";
import { JetStreamBackend } from "@lattice-cache/jetstream";
import { RedisBackend } from "@lattice-cache/redis";
import {
  disposeAll,
  type NatsServerHandle,
  type RedisServerHandle,
  startNatsServer,
  startRedisServer,
} from "@lattice-cache/test-harness";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, killAllLattice, runLattice } from "../test-support/lattice-process.test-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "lattice-compact-"));
const env = cleanEnv({ XDG_DATA_HOME: dir });
const bytes = (s: string) => new TextEncoder().encode(s);
const claims = (sub: string) =>
  bytes(
    JSON.stringify({
      call_alias: "",
      iss: "AISSUER",
      name: sub,
      caps: "",
      rev: "0",
      tags: "",
      version: "1",
      sub,
    }),
  );

let nats: NatsServerHandle;
let redis: RedisServerHandle;
const backends: LatticeBackend[] = [];

beforeAll(async () => {
  [nats, redis] = await Promise.all([startNatsServer(), startRedisServer()]);
});
afterEach(async () => {
  await Promise.all(backends.splice(0).map((b) => b.close()));
});
afterAll(async () => {
  await killAllLattice();
  await disposeAll();
  rmSync(dir, { recursive: true, force: true });
});

/** The two backends the command is run against, each with the flags that select it. */
const TARGETS = [
  {
    name: "jetstream",
    flags: () => ["--nats-url", nats.url],
    backend: (prefix: string) => new JetStreamBackend({ servers: nats.url, prefix, hostId: "test-writer" }),
  },
  {
    name: "redis",
    flags: () => ["--backend", "redis", "--redis-url", redis.url],
    backend: (prefix: string) => new RedisBackend({ url: redis.url, prefix }),
  },
] as const;

async function opened(backend: LatticeBackend): Promise<LatticeBackend> {
  backends.push(backend);
  await backend.open();
  return backend;
}

/** Waits until `ms` have passed since `since` (markers written before are then older than `ms`). */
async function passed(since: number, ms: number): Promise<void> {
  while (Date.now() < since + ms) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe("lattice compact: bad usage is refused before anything is sent (exit 2)", () => {
  it("a duration without a unit or of 0, a backend that cannot compact, a retention of 0 without --older-than", async () => {
    const runs = await Promise.all([
      runLattice(["compact", "--older-than", "5", "--backend", "memory"], { env }),
      runLattice(["compact", "--older-than", "0", "--backend", "memory"], { env }),
      runLattice(["compact", "--backend", "legacy"], { env }),
      runLattice(["compact", "--backend", "memory", "--tombstone-retention", "0"], { env }),
      runLattice(["compact", "--backend", "memory", "--tombstone-retention", "soon"], { env }),
    ]);
    expect(runs.map((r) => r.code)).toEqual([2, 2, 2, 2, 2]);
    const [unitless, zero, legacy, forever, bad] = runs.map((r) => r.stderr);
    expect(unitless).toContain("expected a duration above 0, like 24h");
    expect(zero).toContain("expected a duration above 0");
    expect(legacy).toContain("the legacy backend cannot compact tombstones");
    expect(forever).toContain("tombstoneRetention is 0 (tombstones are kept forever)");
    expect(bad).toContain(
      'tombstoneRetention must be a duration like 24h, 90m, 30s, 1500ms, 7d or 1h30m, or 0 (got "soon")',
    );
  });

  it("is listed in --help", async () => {
    const help = await runLattice(["--help"], { env });
    expect(help.stdout).toMatch(/^ {2}compact \[options\] +remove delete markers older than/m);
    const own = await runLattice(["compact", "--help"], { env });
    expect(own.stdout).toContain("--older-than <duration>");
    expect(own.stdout).toContain("--dry-run");
  });
});

describe.each(TARGETS)("lattice compact on $name", (target) => {
  // Which markers a cutoff takes to the millisecond is the conformance suite's (rule 6); here, what the command does.
  it("rule 6: a dry run lists the old markers and removes nothing; the real run removes exactly them (--json)", async () => {
    const prefix = `cmp${target.name.slice(0, 2)}${Date.now().toString(36)}`;
    const writer = await opened(target.backend(prefix));
    const deleteOf = async (key: string) => {
      await writer.write({ key, value: claims(key.slice(7)), origin: "test-writer" });
      return writer.write({ key, value: null, origin: "test-writer" });
    };
    const oldA = await deleteOf("CLAIMS_MOLDA");
    const oldB = await deleteOf("CLAIMS_MOLDB");
    await writer.write({ key: "CLAIMS_MLIVE", value: claims("MLIVE"), origin: "test-writer" });
    await passed(Date.now(), 1200);
    const args = ["compact", "--older-than", "1s", "--prefix", prefix, ...target.flags()];

    const dry = await runLattice([...args, "--dry-run"], { env });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toMatch(/^scanning .*prefix .*, for delete markers older than 1s$/m);
    expect(dry.stdout).toMatch(
      /^dry run, nothing removed: 2 delete markers older than 1s would be removed from /m,
    );
    expect(dry.stdout).toMatch(/^KEY\s+COLLECTION\s+REVISION\s+DELETED AT$/m);
    expect(dry.stdout).toMatch(new RegExp(`^CLAIMS_MOLDA\\s+claims\\s+${oldA.revision}\\s+\\d{4}-`, "m"));
    expect((await writer.read?.("CLAIMS_MOLDA"))?.value).toBeNull();

    const real = await runLattice([...args, "--json"], { env });
    expect(real.code, real.stderr).toBe(0);
    const report = JSON.parse(real.stdout) as CompactionReport;
    expect(report.dryRun).toBe(false);
    expect(report.removed.map((r) => [r.key, r.revision])).toEqual([
      ["CLAIMS_MOLDA", oldA.revision],
      ["CLAIMS_MOLDB", oldB.revision],
    ]);
    expect(report.scanned).toBeGreaterThanOrEqual(3);
    expect(await writer.read?.("CLAIMS_MOLDA")).toBeUndefined();
    expect(await writer.read?.("CLAIMS_MOLDB")).toBeUndefined();
    expect((await writer.read?.("CLAIMS_MLIVE"))?.value).not.toBeNull();

    const again = await runLattice(args, { env });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^nothing to remove: no delete markers older than 1s in /m);
  }, 60_000);

  it("a lease another host holds: skipped, exit 1, nothing removed", async () => {
    const prefix = `held${target.name.slice(0, 2)}${Date.now().toString(36)}`;
    const writer = await opened(target.backend(prefix));
    await writer.write({ key: "CLAIMS_MHELD", value: claims("MHELD"), origin: "test-writer" });
    await writer.write({ key: "CLAIMS_MHELD", value: null, origin: "test-writer" });
    const until = new Date(Date.now() + 10 * 60_000).toISOString();
    await writer.write({
      key: COMPACTION_LEASE_KEY,
      value: encodeCompactionLease({ host: "busy-host", until, lastRun: null }),
      expectedRevision: 0,
      origin: "busy-host",
    });
    const run = await runLattice(["compact", "--older-than", "1ms", "--prefix", prefix, ...target.flags()], {
      env,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`skipped: busy-host holds the compaction lease until ${until}`);
    expect((await writer.read?.("CLAIMS_MHELD"))?.value).toBeNull();
  });
});
