// The NOTIFY status channel of the postgres plugin: hosts on one lattice answer a requester, an answer too long
// for one NOTIFY travels in parts and arrives whole (a part missing: refused and noted), channel names fit
// PostgreSQL's identifiers, and hosts listen again after a kill -9 and restart of the server. Through the
// `lattice` CLI (a spawned host, refused passwords, answers out of bounds counted in /metrics):
// apps/host/src/audit/postgres-status-channel.test.ts.

import { silentLogger } from "@lattice-cache/core";
import { type HostStatusReport, UNCOUNTED_REJECTIONS } from "@lattice-cache/plugin";
import {
  disposeAll,
  type PostgresServerHandle,
  startPostgresServer,
  waitFor,
} from "@lattice-cache/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AnswerParts,
  answerPayloads,
  asciiJson,
  MAX_ANSWER_PARTS,
  MAX_NOTIFY_PAYLOAD_BYTES,
} from "./postgres-answer-parts.js";
import { PostgresStatusBus, postgresStatusChannels } from "./postgres-status-bus.js";

const buses: PostgresStatusBus[] = [];
let server: PostgresServerHandle;

beforeAll(async () => {
  server = await startPostgresServer();
});

afterAll(async () => {
  await Promise.all(buses.map((b) => b.close()));
  await disposeAll();
});

/** A bus on the test server (not serving until told), counting nothing, without a status secret. */
function bus(prefix: string, hostId: string): PostgresStatusBus {
  const b = new PostgresStatusBus(
    { options: { url: server.url, prefix, connectTimeoutMs: 2_000 }, hostId },
    { logger: silentLogger, rejections: UNCOUNTED_REJECTIONS, secret: undefined },
  );
  buses.push(b);
  return b;
}

const report = (hostId: string, extra: Partial<HostStatusReport> = {}): HostStatusReport => ({
  hostId,
  backend: "postgres",
  prefix: "p",
  state: "live",
  ordered: true,
  revision: 3,
  backendRevision: 3,
  digest: "d1",
  counts: { linkdefs: 1, claims: 0, refmaps: 2 },
  staleForMs: 0,
  version: "0.1.0",
  http: null,
  ...extra,
});

describe("PostgreSQL NOTIFY status channel", () => {
  it("hosts of one lattice answer a requester, and only they", async () => {
    await bus("pgpair", "a").serve(() => report("a"));
    await bus("pgpair", "b").serve(() => report("b"));
    await bus("pgother", "c").serve(() => report("c"));
    const { reports, notes } = await bus("pgpair", "auditor").gather(500);
    expect(notes).toEqual([]);
    expect(reports.map((r) => r.hostId).sort()).toEqual(["a", "b"]);
  });

  it("an answer longer than one NOTIFY travels in parts and arrives whole (text beyond ASCII included)", async () => {
    // The longest fields an answer may have; escaped to ASCII, the address alone is over 12 000 bytes.
    const long = report(`h-${"x".repeat(254)}`, { http: `http://bücher.example/${"é".repeat(2_000)}` });
    const payloads = answerPayloads(asciiJson(long));
    expect(payloads.length).toBeGreaterThanOrEqual(3);
    expect(payloads.length).toBeLessThanOrEqual(MAX_ANSWER_PARTS);
    for (const p of payloads) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(MAX_NOTIFY_PAYLOAD_BYTES);
    expect(payloads.every((p) => /^[\x20-\x7e]*$/.test(p))).toBe(true);

    await bus("pglong", "long-host").serve(() => long);
    await bus("pglong", "short-host").serve(() => report("short-host"));
    const { reports, notes } = await bus("pglong", "auditor").gather(500);
    expect(notes).toEqual([]);
    expect(reports).toHaveLength(2);
    expect(reports).toContainEqual({ ...long, verified: false });
    expect(reports).toContainEqual({ ...report("short-host"), verified: false });
  });

  it("an answer missing a part is refused as incomplete and noted, not dropped silently", () => {
    const parts = answerPayloads(asciiJson(report("y", { http: `http://x.example/${"é".repeat(2_000)}` })));
    const refused: string[] = [];
    const joiner = new AnswerParts({
      answer: (text) => refused.push(`whole: ${text}`),
      refused: (detail) => refused.push(detail),
    });
    for (const part of parts.slice(1)) joiner.add(part);
    joiner.finish();
    expect(refused).toEqual([
      expect.stringMatching(/^incomplete answer [0-9a-f]+: \d+ of \d+ parts arrived$/),
    ]);
  });

  it("channel names fit PostgreSQL's 63 bytes, also for the longest prefixes, and stay apart", () => {
    expect(postgresStatusChannels("default")).toEqual({
      requests: "lattice_default_status",
      replyPrefix: "lattice_default_status_",
    });
    const a = postgresStatusChannels(`${"a".repeat(54)}1`);
    const b = postgresStatusChannels(`${"a".repeat(54)}2`);
    expect(a.requests).not.toBe(b.requests);
    expect(a.replyPrefix.length + 12).toBeLessThanOrEqual(63);
  });

  it("hosts listen again after the server is killed (-9) and restarted", async () => {
    await bus("pgrestart", "r-a").serve(() => report("r-a"));
    await bus("pgrestart", "r-b").serve(() => report("r-b"));
    expect((await bus("pgrestart", "auditor").gather(300)).reports.length).toBe(2);
    await server.kill("SIGKILL");
    await server.restart();
    const answers = await waitFor(
      async () => {
        const got = await bus("pgrestart", "auditor")
          .gather(300)
          .then((g) => g.reports)
          .catch(() => []);
        return got.length === 2 ? got : undefined;
      },
      { timeoutMs: 30_000, what: "both hosts to answer after the restart" },
    );
    expect(answers.map((a) => a.hostId).sort()).toEqual(["r-a", "r-b"]);
  });
});
