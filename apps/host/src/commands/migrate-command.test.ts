// End to end: `lattice migrate` as a process, from old (generation-1) hosts and from a generation-2
// `LATTICECACHE_{prefix}` stream into the JetStream bucket, checked against the raw bucket.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { linkdefKey } from "@lattice-cache/core";
import { SimulatedLegacyHost } from "@lattice-cache/legacy/testing";
import { disposeAll, type NatsServerHandle, startNatsServer } from "@lattice-cache/test-harness";
import {
  JetStreamApiError,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
  StorageType,
} from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { legacyMigration } from "../composition/builtin-backends.js";
import { cleanEnv, killAllLattice, runLattice } from "../test-support/lattice-process.test-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "lattice-migrate-"));
const env = cleanEnv({ XDG_DATA_HOME: dir });

let nats: NatsServerHandle;
let nc: NatsConnection;
let jsm: JetStreamManager;
const oldHosts: SimulatedLegacyHost[] = [];

beforeAll(async () => {
  nats = await startNatsServer();
  nc = await connect({ servers: nats.url, name: "migrate-test" });
  jsm = await jetstreamManager(nc);
});

afterAll(async () => {
  await Promise.all(oldHosts.map((h) => h.stop()));
  await nc?.close();
  await killAllLattice();
  await disposeAll();
  rmSync(dir, { recursive: true, force: true });
});

const migrate = (prefix: string, args: readonly string[]) =>
  runLattice(["migrate", ...args, "--nats-url", nats.url, "--prefix", prefix], { env });

/** Messages in the bucket's stream, read from the server (not through any cache): what was really written. */
async function rawMessages(prefix: string): Promise<number> {
  try {
    return (await jsm.streams.info(`KV_LATTICEDATA_${prefix}`)).state.messages;
  } catch (error) {
    if (error instanceof JetStreamApiError) return 0;
    throw error;
  }
}

async function streamExists(name: string): Promise<boolean> {
  try {
    await jsm.streams.info(name);
    return true;
  } catch (error) {
    if (error instanceof JetStreamApiError) return false;
    throw error;
  }
}

describe("lattice migrate: bad usage is refused before anything is sent (exit 2)", () => {
  it("--delete-source with --from legacy, a missing or unknown --from, a bad --window, backend legacy", async () => {
    const runs = await Promise.all([
      runLattice(["migrate", "--from", "legacy", "--delete-source"], { env }),
      runLattice(["migrate"], { env }),
      runLattice(["migrate", "--from", "fake-store-a"], { env }),
      runLattice(["migrate", "--from", "legacy", "--window", "soon"], { env }),
      runLattice(["migrate", "--from", "legacy", "--policy", "durable-wins"], { env }),
      runLattice(["migrate", "--from", "legacy", "--backend", "legacy"], { env }),
    ]);
    expect(runs.map((r) => r.code)).toEqual([2, 2, 2, 2, 2, 2]);
    const [deleteSource, missing, unknown, window, policy, backend] = runs.map((r) => r.stderr);
    expect(deleteSource).toContain("--delete-source goes with --from stream");
    expect(missing).toContain("--from <source>");
    expect(unknown).toContain("Allowed choices are legacy, stream");
    expect(window).toContain("expected milliseconds");
    expect(policy).toContain("Allowed choices are create-only, legacy-wins");
    expect(backend).toContain('backend is "legacy"');
  });
});

describe("lattice migrate --from legacy: dry run, real run, idempotent second run", () => {
  it("a dry run prints the diff and writes nothing; the real run creates; a second run changes nothing", async () => {
    const prefix = "migold";
    const a = await SimulatedLegacyHost.start({ servers: nats.url, prefix, name: "old-a" });
    oldHosts.push(a);
    a.putLinkdef({
      actor_id: "MBOB",
      provider_id: "VKV",
      contract_id: "wasmcloud:keyvalue",
      values: { b: "1" },
    });
    a.putClaims({ sub: "MBOB", name: "bob", caps: "wasmcloud:keyvalue", rev: "3" });
    a.putRefmap({ oci_url: "ghcr.io/acme/bob:1", public_key: "MBOB" });
    await a.flush();
    // Starts after the puts: it asks old-a at start-up, so both old hosts hold the same three values.
    const b = await SimulatedLegacyHost.start({ servers: nats.url, prefix, name: "old-b" });
    oldHosts.push(b);
    expect(b.linkdefs()).toHaveLength(1);

    const dry = await migrate(prefix, ["--from", "legacy", "--dry-run", "--window", "1000"]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^dry run, nothing written: 3 keys from old hosts \(\d+ \.get replies\)$/m);
    expect(dry.stdout).toMatch(/^COLLECTION\s+WOULD CREATE\s+WOULD UPDATE\s+SKIP\s+UNCHANGED$/m);
    expect(dry.stdout).toMatch(/^linkdefs\s+1\s+0\s+0\s+0$/m);
    expect(dry.stdout).toMatch(/^total\s+3\s+0\s+0\s+0$/m);
    const id = linkdefKey("MBOB", "wasmcloud:keyvalue", "default");
    expect(dry.stdout).toMatch(
      new RegExp(
        `^create\\s+linkdefs\\s+${id}\\s+MBOB -> VKV \\(wasmcloud:keyvalue, link default\\) b=1$`,
        "m",
      ),
    );
    expect(dry.stdout).toMatch(/^create\s+claims\s+CLAIMS_MBOB\s+bob rev 3 caps wasmcloud:keyvalue$/m);
    expect(dry.stdout).toMatch(/^create\s+refmaps\s+REFMAP_\S+\s+ghcr\.io\/acme\/bob:1 -> MBOB$/m);
    // Progress on stderr, one line per phase.
    expect(dry.stderr).toMatch(/^syncing with jetstream \(NATS at .*\), prefix migold$/m);
    expect(dry.stderr).toMatch(/^asking old hosts for what they hold \(\.get replies for 1000 ms\)$/m);
    expect(dry.stderr).toMatch(/^done in \d+\.\d s$/m);
    expect(await rawMessages(prefix)).toBe(0);

    const real = await migrate(prefix, ["--from", "legacy", "--window", "1000"]);
    expect(real.code, real.stderr).toBe(0);
    expect(real.stdout).toMatch(/^migrated: 3 keys from old hosts/m);
    expect(real.stdout).toMatch(/^COLLECTION\s+CREATED\s+UPDATED\s+SKIPPED\s+UNCHANGED\s+FAILED$/m);
    expect(real.stdout).toMatch(/^claims\s+1\s+0\s+0\s+0\s+0$/m);
    expect(real.stdout).toMatch(/^total\s+3\s+0\s+0\s+0\s+0$/m);
    expect(real.stderr).toMatch(/^writing 3 entries to the durable backend$/m);
    expect(await rawMessages(prefix)).toBe(3);

    const again = await migrate(prefix, ["--from", "legacy", "--window", "1000", "--json"]);
    expect(again.code, again.stderr).toBe(0);
    const result = JSON.parse(again.stdout) as legacyMigration.AppliedMigrationResult;
    expect(result).toMatchObject({ dryRun: false, created: 0, updated: 0, unchanged: 3, failed: 0 });
    expect(result.source).toMatchObject({ kind: "legacy", records: 3 });
    expect(await rawMessages(prefix)).toBe(3);

    const ls = await runLattice(["refmaps", "ls", "--json", "--nats-url", nats.url, "--prefix", prefix], {
      env,
    });
    expect(JSON.parse(ls.stdout)).toEqual([{ oci_url: "ghcr.io/acme/bob:1", public_key: "MBOB" }]);
  });
});

describe("lattice migrate --from stream: the generation-2 LATTICECACHE stream", () => {
  const b64 = (s: string) => Buffer.from(s).toString("base64url");
  const body = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

  /** A generation-2 stream as the OTP host's first JetStream implementation configured and filled it. */
  async function generation2Stream(prefix: string): Promise<void> {
    await jsm.streams.add({
      name: `LATTICECACHE_${prefix}`,
      subjects: [`lc.${prefix}.>`],
      max_msgs_per_subject: 1,
      storage: StorageType.Memory,
      num_replicas: 1,
    });
    const js = jetstream(nc);
    const link = (actor: string, deleted: boolean) => ({
      id: `uuid-${actor}`,
      actor_id: actor,
      provider_id: "VKV",
      link_name: "default",
      contract_id: "wasmcloud:keyvalue",
      values: { actor },
      deleted,
    });
    await js.publish(
      `lc.${prefix}.claims.MECHO`,
      body({ sub: "MECHO", name: "echo", caps: ["a", "b"], rev: 2 }),
    );
    await js.publish(`lc.${prefix}.linkdefs.uuid-MLIVE`, body(link("MLIVE", false)));
    await js.publish(`lc.${prefix}.linkdefs.uuid-MGONE`, body(link("MGONE", true)));
    await js.publish(
      `lc.${prefix}.refmap.${b64("reg.example/echo:1")}`,
      body({ oci_url: "reg.example/echo:1", public_key: "MECHO" }),
    );
  }

  it("dry run shows the diff and keeps everything; --delete-source migrates then removes the stream", async () => {
    const prefix = "migstream";
    await generation2Stream(prefix);

    const dry = await migrate(prefix, ["--from", "stream", "--dry-run", "--delete-source"]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(
      new RegExp(
        `^dry run, nothing written: 3 keys from stream LATTICECACHE_${prefix} \\(4 messages, 1 deleted link definitions skipped\\)$`,
        "m",
      ),
    );
    // The id is recomputed from (actor, contract, link name): the stream's uuid is gone.
    expect(dry.stdout).toMatch(
      new RegExp(`^create\\s+linkdefs\\s+${linkdefKey("MLIVE", "wasmcloud:keyvalue", "default")}\\s`, "m"),
    );
    expect(dry.stdout).not.toContain("MGONE");
    expect(dry.stderr).toMatch(/^reading the generation-2 stream$/m);
    expect(await rawMessages(prefix)).toBe(0);
    expect(await streamExists(`LATTICECACHE_${prefix}`)).toBe(true);

    const real = await migrate(prefix, ["--from", "stream", "--delete-source", "--json"]);
    expect(real.code, real.stderr).toBe(0);
    expect(JSON.parse(real.stdout)).toMatchObject({
      dryRun: false,
      created: 3,
      failed: 0,
      source: { kind: "stream", found: true, sourceDeleted: true, deletedSkipped: 1 },
    });
    expect(real.stderr).toMatch(new RegExp(`^deleting stream LATTICECACHE_${prefix}$`, "m"));
    expect(await streamExists(`LATTICECACHE_${prefix}`)).toBe(false);
    expect(await rawMessages(prefix)).toBe(3);
    const ls = await runLattice(["linkdefs", "ls", "--json", "--nats-url", nats.url, "--prefix", prefix], {
      env,
    });
    expect((JSON.parse(ls.stdout) as { actor_id: string }[]).map((l) => l.actor_id)).toEqual(["MLIVE"]);

    const gone = await migrate(prefix, ["--from", "stream", "--delete-source"]);
    expect(gone.code, gone.stderr).toBe(0);
    expect(gone.stdout).toContain(`no stream LATTICECACHE_${prefix}: nothing to migrate`);
  });

  it("a failed write exits 1 after printing the result, and the stream is kept", async () => {
    const prefix = "migfail";
    await generation2Stream(prefix);
    // Values over --max-value-bytes are refused before sending: every write of this run fails.
    const r = await migrate(prefix, ["--from", "stream", "--delete-source", "--max-value-bytes", "20"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^total\s+0\s+0\s+0\s+0\s+3$/m);
    expect(r.stdout).toMatch(/^failed writes \(running the command again retries them\):$/m);
    expect(r.stdout).toMatch(/^claims\s+CLAIMS_MECHO\s+VALUE_TOO_LARGE\s/m);
    expect(r.stderr).toContain("lattice: 3 of the migration's writes failed; the stream was kept");
    expect(await streamExists(`LATTICECACHE_${prefix}`)).toBe(true);
    expect(await rawMessages(prefix)).toBe(0);
  });
});
