// Issue 27 item 9: what other processes wrote — values, keys, status answers — reaches a terminal only with
// its control characters escaped (an ESC sequence could erase a SPLIT BRAIN line or write the clipboard with
// OSC 52), while --json output keeps every value exact. The built CLI against a real nats-server, with
// status answers published on the real status subject by a fake host.

import { natsStatusSubject } from "@lattice-cache/plugin/nats";
import { disposeAll, type NatsServerHandle, startNatsServer } from "@lattice-cache/test-harness";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  cleanEnv,
  killAllLattice,
  LatticeProcess,
  type RunResult,
  runLattice,
} from "../test-support/lattice-process.test-helpers.js";

/** A clipboard write (OSC 52, BEL-terminated) and a line erase that would hide what came before. */
const HOSTILE = {
  clipboard: "\u001b]52;c;ZXZpbCBjb21tYW5k\u0007",
  erase: "\u001b[2K\rall hosts agree",
  c1: "\u009b31mred",
  bidi: "abc\u202edcba\u2066x\u2069",
  newline: "line one\nSPLIT BRAIN forged",
};

/** Where the first raw character a terminal acts on is — C0 (but the newlines between lines), DEL, C1, bidi controls — or -1. */
function firstRawControl(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (
      (c < 0x20 && c !== 0x0a) ||
      (c >= 0x7f && c <= 0x9f) ||
      (c >= 0x202a && c <= 0x202e) ||
      (c >= 0x2066 && c <= 0x2069)
    )
      return i;
  }
  return -1;
}

let nats: NatsServerHandle;
const env = cleanEnv();

beforeAll(async () => {
  nats = await startNatsServer();
});

afterAll(async () => {
  await killAllLattice();
  await disposeAll();
});

function lattice(prefix: string, args: readonly string[]): Promise<RunResult> {
  return runLattice([...args, "--nats-url", nats.url, "--prefix", prefix], { env });
}

/** Fails naming the first raw control character in `text`, with the text around it. */
function expectNoRawControl(what: string, text: string): void {
  const at = firstRawControl(text);
  expect(
    at,
    `${what} holds a raw U+${text.codePointAt(at)?.toString(16)} near ${JSON.stringify(text.slice(Math.max(0, at - 40), at + 40))}`,
  ).toBe(-1);
}

/** `linkdefs put` of the link definition Mevil → Vkv whose values are {@link HOSTILE}; fails unless it exits 0. */
/** Creates the lattice `prefix` (read-only commands such as `watch` and `status` never create one). */
async function createLattice(prefix: string): Promise<void> {
  const put = await lattice(prefix, ["refmaps", "put", "ghcr.io/acme/first:1", "Mfirst"]);
  expect(put.code, put.stderr).toBe(0);
}

async function putHostileLinkdef(prefix: string): Promise<RunResult> {
  const values = Object.entries(HOSTILE).flatMap(([k, v]) => ["--value", `${k}=${v}`]);
  const put = await lattice(prefix, [
    "linkdefs",
    "put",
    "--actor",
    "Mevil",
    "--provider",
    "Vkv",
    "--contract",
    "wasmcloud:keyvalue",
    ...values,
  ]);
  expect(put.code, put.stderr).toBe(0);
  return put;
}

describe("issue 27 item 9: control characters are escaped in human output, exact in --json", () => {
  it("linkdefs ls and get print a value's ESC, BEL, C1, bidi and newline characters as visible escapes; --json round-trips it", async () => {
    const prefix = "escapes";
    const put = await putHostileLinkdef(prefix);
    expectNoRawControl("put", put.stdout + put.stderr);

    const ls = await lattice(prefix, ["linkdefs", "ls"]);
    expect(ls.code, ls.stderr).toBe(0);
    expectNoRawControl("linkdefs ls", ls.stdout);
    expect(ls.stdout).toContain("clipboard=\\u001b]52;c;ZXZpbCBjb21tYW5k\\u0007");
    expect(ls.stdout).toContain("erase=\\u001b[2K\\rall hosts agree");
    expect(ls.stdout).toContain("c1=\\u009b31mred");
    expect(ls.stdout).toContain("bidi=abc\\u202edcba\\u2066x\\u2069");
    // The header and one row: a newline inside a value does not make a line of its own.
    expect(ls.stdout.trimEnd().split("\n")).toHaveLength(2);
    expect(ls.stdout).toContain("newline=line one\\nSPLIT BRAIN forged");

    const get = await lattice(prefix, [
      "linkdefs",
      "get",
      "--actor",
      "Mevil",
      "--contract",
      "wasmcloud:keyvalue",
    ]);
    expect(get.code, get.stderr).toBe(0);
    expectNoRawControl("linkdefs get", get.stdout);
    expect(get.stdout).toContain("clipboard=\\u001b]52;c;ZXZpbCBjb21tYW5k\\u0007");

    for (const args of [
      ["linkdefs", "ls", "--json"],
      ["linkdefs", "get", "--json", "--actor", "Mevil", "--contract", "wasmcloud:keyvalue"],
    ]) {
      const json = await lattice(prefix, args);
      expect(json.code, json.stderr).toBe(0);
      expectNoRawControl(args.join(" "), json.stdout);
      const parsed = JSON.parse(json.stdout) as
        | { values: Record<string, string> }
        | { values: Record<string, string> }[];
      expect((Array.isArray(parsed) ? parsed[0] : parsed)?.values).toEqual(HOSTILE);
    }
  });

  it("watch lines escape the value and the key; watch --json lines round-trip the exact value", async () => {
    const prefix = "escapes-watch";
    await createLattice(prefix);
    const human = LatticeProcess.start(["watch", "--nats-url", nats.url, "--prefix", prefix], { env });
    const json = LatticeProcess.start(["watch", "--json", "--nats-url", nats.url, "--prefix", prefix], {
      env,
    });
    await human.waitForOutput(/watching/, { stream: "stderr" });
    await json.waitForOutput(/watching/, { stream: "stderr" });
    await putHostileLinkdef(prefix);
    await human.waitForOutput(/^put .*LINKDEF_.*\n/m);
    await json.waitForOutput(/^\{.*\}\n/m);
    human.signal("SIGINT");
    json.signal("SIGINT");
    const [humanDone, jsonDone] = await Promise.all([human.finished(), json.finished()]);
    expect(humanDone.code, human.describe()).toBe(0);
    expect(jsonDone.code, json.describe()).toBe(0);
    expectNoRawControl("watch", humanDone.stdout + humanDone.stderr);
    expect(humanDone.stdout).toContain("\\u001b]52;c;ZXZpbCBjb21tYW5k\\u0007");
    expectNoRawControl("watch --json", jsonDone.stdout);
    const record = JSON.parse(jsonDone.stdout.trim().split("\n")[0] as string) as {
      value: { values: Record<string, string> };
    };
    expect(record.value.values).toEqual(HOSTILE);
  });

  describe("status --hosts with a split brain and an answer whose host id holds escape sequences", () => {
    let fake: NatsConnection;
    const prefix = "escapes-status";
    // Refused by the decoder (not a host id), and quoted in the audit's notes: JSON quoting escapes its C0
    // characters, not its C1 and bidi ones.
    const hostile = `h${HOSTILE.c1}${HOSTILE.bidi}${HOSTILE.clipboard}\nSPLIT BRAIN`;

    beforeAll(async () => {
      await createLattice(prefix);
      fake = await connect({ servers: nats.url });
      const answer = (hostId: string, digest: string) =>
        JSON.stringify({
          hostId,
          backend: "jetstream",
          prefix,
          state: "live",
          ordered: true,
          revision: 7,
          backendRevision: 7,
          digest,
          counts: { linkdefs: 1, claims: 0, refmaps: 0 },
          staleForMs: 0,
          version: "0.1.0",
          http: null,
        });
      fake.subscribe(natsStatusSubject(prefix), {
        callback: (error, msg) => {
          if (error || !msg.reply) return;
          msg.respond(answer("host-a", "a".repeat(64)));
          msg.respond(answer("host-b", "b".repeat(64)));
          msg.respond(answer(hostile, "c".repeat(64)));
        },
      });
      await fake.flush();
    });

    afterAll(async () => {
      await fake?.close();
    });

    it("the table, the notes quoting the refused answer, the SPLIT BRAIN verdict and the error message hold no raw control character (exit 4); --json too", async () => {
      const human = await lattice(prefix, ["status", "--hosts", "--window", "500"]);
      expect(human.code, human.stdout + human.stderr).toBe(4);
      expectNoRawControl("status --hosts (stdout)", human.stdout);
      expectNoRawControl("status --hosts (stderr)", human.stderr);
      // The refused host id is shown with visible escapes, and its newline makes no line of its own.
      expect(human.stdout).toContain("h\\u009b31mredabc\\u202edcba\\u2066x\\u2069");
      expect(human.stdout.match(/^SPLIT BRAIN/gm)).toHaveLength(1);
      expect(human.stderr.match(/^lattice: SPLIT BRAIN at revision 7/gm)).toHaveLength(1);
      expect(human.stderr.match(/^SPLIT BRAIN/gm)).toBeNull();

      const json = await lattice(prefix, ["status", "--hosts", "--window", "500", "--json"]);
      expect(json.code, json.stderr).toBe(4);
      expectNoRawControl("status --hosts --json (stdout)", json.stdout);
      expectNoRawControl("status --hosts --json (stderr)", json.stderr);
      const hosts = (JSON.parse(json.stdout) as { hosts: { hostId: string }[] }).hosts;
      expect(hosts.map((h) => h.hostId).sort()).toEqual(["host-a", "host-b"]);
    });
  });
});
