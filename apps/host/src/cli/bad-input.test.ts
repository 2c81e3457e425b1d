// Bad input on the command line — keys that break NATS subject rules, values over maxValueBytes — is refused
// with exit code 2 and a message that says why, before anything is sent: the bucket, read raw, is untouched.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_MAX_VALUE_BYTES } from "@lattice-cache/core";
import { disposeAll, freePort, type NatsServerHandle, startNatsServer } from "@lattice-cache/test-harness";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanEnv, killAllLattice, runLattice } from "../test-support/lattice-process.test-helpers.js";

const PREFIX = "badinput";
const dir = mkdtempSync(join(tmpdir(), "lattice-bad-input-"));
const env = cleanEnv();
let nats: NatsServerHandle;

beforeAll(async () => {
  nats = await startNatsServer();
});

afterAll(async () => {
  await killAllLattice();
  await disposeAll();
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

function lattice(args: readonly string[], extraEnv: Record<string, string> = {}) {
  return runLattice([...args, "--nats-url", nats.url, "--prefix", PREFIX], { env: { ...env, ...extraEnv } });
}

/** The bucket's backing stream as the server sees it: message count and last sequence. */
async function rawBucketState(): Promise<{ messages: number; lastSeq: number; subjects: number }> {
  const nc = await connect({ servers: nats.url });
  try {
    const info = await (await jetstreamManager(nc)).streams.info(`KV_LATTICEDATA_${PREFIX}`);
    return {
      messages: info.state.messages,
      lastSeq: info.state.last_seq,
      subjects: info.state.num_subjects ?? 0,
    };
  } finally {
    await nc.close();
  }
}

describe("bad input is refused before anything is sent (exit 2, the reason named)", () => {
  it("keys that break NATS subject rules, and values over maxValueBytes", async () => {
    // One good write, so the bucket exists and has a known last sequence to compare with.
    const good = await lattice(["refmaps", "put", "ghcr.io/acme/good:1", "MGOOD"]);
    expect(good.code, good.stderr).toBe(0);
    const before = await rawBucketState();
    expect(before.messages).toBe(1);

    const huge = "x".repeat(DEFAULT_MAX_VALUE_BYTES + 1);
    const cases: { args: string[]; env?: Record<string, string>; why: RegExp }[] = [
      { args: ["claims", "get", "a.b"], why: /claims sub contains '\.' \(a NATS token separator\)/ },
      { args: ["claims", "get", "M b"], why: /claims sub contains whitespace/ },
      { args: ["claims", "del", "M>"], why: /claims sub contains '>' \(a NATS wildcard\)/ },
      { args: ["claims", "get", ""], why: /claims sub is empty/ },
      {
        args: ["claims", "put", "--file", file("wildcard.json", { sub: "MBAD*", name: "x" })],
        why: /claims sub contains '\*' \(a NATS wildcard\)/,
      },
      {
        args: ["claims", "put", "--file", file("huge.json", { sub: "MHUGE", tags: huge })],
        why: /value for CLAIMS_MHUGE is \d+ bytes, over the maximum of 1048576 bytes \(maxValueBytes; raise it with --max-value-bytes/,
      },
      {
        args: ["refmaps", "put", "ghcr.io/acme/x:1", "M".repeat(10_000)],
        why: /public key is 10000 bytes, over the 1024 bytes a NATS subject token can safely carry/,
      },
      { args: ["refmaps", "put", "ghcr.io/acme/x:1", "M.KEY"], why: /public key contains '\.'/ },
      {
        args: ["refmaps", "put", "ghcr.io/acme/x:1", "MKEY", "--max-value-bytes", "40"],
        why: /is 50 bytes, over the maximum of 40 bytes/,
      },
      {
        args: ["refmaps", "put", "ghcr.io/acme/x:1", "MKEY"],
        env: { LATTICE_MAX_VALUE_BYTES: "40" },
        why: /over the maximum of 40 bytes/,
      },
      { args: ["refmaps", "get", ""], why: /oci_url is empty/ },
      {
        args: ["linkdefs", "put", "--actor", "", "--provider", "Vp", "--contract", "wasmcloud:kv"],
        why: /actor id is empty/,
      },
      {
        args: ["linkdefs", "put", "--actor", "Ma", "--provider", "V.p", "--contract", "wasmcloud:kv"],
        why: /provider id contains '\.'/,
      },
      {
        args: ["linkdefs", "del", "--actor", "Ma", "--contract", "wasmcloud:*"],
        why: /contract id contains '\*'/,
      },
      {
        args: ["linkdefs", "get", "--actor", "Ma", "--contract", "c", "--link-name", "two words"],
        why: /link name contains whitespace/,
      },
      { args: ["--max-value-bytes", "0", "claims", "ls"], why: /maxValueBytes must be an integer from 1/ },
    ];
    const runs = [];
    for (const c of cases) runs.push(await lattice(c.args, c.env));
    runs.forEach((r, i) => {
      const c = cases[i] as (typeof cases)[number];
      expect(r.code, `${c.args.join(" ").slice(0, 80)}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/^lattice: /);
      expect(r.stderr).toMatch(c.why);
      // Huge inputs are not echoed back in full.
      expect(r.stderr.length).toBeLessThan(2000);
    });

    expect(await rawBucketState()).toEqual(before);
  });

  it("is refused without even connecting: a dead server makes no difference", async () => {
    const dead = `nats://127.0.0.1:${await freePort()}`;
    const r = await runLattice(["claims", "get", "a.b", "--nats-url", dead], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain("cannot reach");
  });
});
