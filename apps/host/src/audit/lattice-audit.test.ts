// The cross-host audit as a pure function of the answers gathered on the status channel.
// Rules cited here: docs/semantics.md#rule-2, #rule-11.
import { describe, expect, it } from "vitest";
import { decodeHostStatusReport, type HostStatusReport } from "./host-status-report.js";
import { auditLattice } from "./lattice-audit.js";
import { readStatusAnswers } from "./status-intake.js";
import { StatusSecret, signAnswer } from "./status-signature.js";

/** The audit of these raw answers, read as a requester without a status secret reads them. */
const auditOf = (answers: readonly string[]) => auditLattice(readStatusAnswers(answers));

function host(id: string, overrides: Partial<HostStatusReport> = {}): string {
  const report: HostStatusReport = {
    hostId: id,
    backend: "jetstream",
    prefix: "default",
    state: "live",
    ordered: true,
    revision: 10,
    backendRevision: 10,
    digest: "d-good",
    counts: { linkdefs: 2, claims: 1, refmaps: 0 },
    staleForMs: 0,
    version: "0.1.0",
    http: null,
    ...overrides,
  };
  return JSON.stringify(report);
}

describe("rule 2 across hosts: same revision, same digest", () => {
  it("hosts in step and in agreement converge, with nothing to note", () => {
    const audit = auditOf([host("b"), host("a"), host("c")]);
    expect(audit.hosts.map((h) => h.hostId)).toEqual(["a", "b", "c"]);
    expect(audit.hosts.every((h) => h.lag === 0 && !h.behind && h.splitBrainWith.length === 0)).toBe(true);
    expect(audit.splitBrains).toEqual([]);
    expect(audit.notes).toEqual([]);
    expect(audit.converged).toBe(true);
  });

  it("two hosts at the same revision with different digests are a split brain naming both sides", () => {
    const audit = auditOf([host("a"), host("b"), host("c", { digest: "d-bad" })]);
    expect(audit.splitBrains).toEqual([
      {
        backend: "jetstream",
        revision: 10,
        groups: [
          { digest: "d-good", hostIds: ["a", "b"] },
          { digest: "d-bad", hostIds: ["c"] },
        ],
      },
    ]);
    expect(audit.hosts.find((h) => h.hostId === "c")?.splitBrainWith).toEqual(["a", "b"]);
    expect(audit.hosts.find((h) => h.hostId === "a")?.splitBrainWith).toEqual(["c"]);
    expect(audit.converged).toBe(false);
  });

  it("different digests at different revisions are only hosts behind, not split brain", () => {
    const audit = auditOf([host("a"), host("b", { revision: 8, digest: "d-old" })]);
    expect(audit.splitBrains).toEqual([]);
    expect(audit.hosts.find((h) => h.hostId === "b")).toMatchObject({ lag: 2, behind: true });
    expect(audit.notes).toEqual(["b is behind: revision 8 of 10 (lag 2)"]);
    expect(audit.converged).toBe(false);
  });

  it("lag counts from the highest revision seen, including a backend revision no host has applied yet", () => {
    const audit = auditOf([host("a", { backendRevision: 12 }), host("b")]);
    expect(audit.hosts.map((h) => h.lag)).toEqual([2, 2]);
  });
});

describe("what is not compared", () => {
  it("hosts still connecting or syncing are listed and noted, never called split brain", () => {
    const audit = auditOf([
      host("a"),
      host("b", { state: "syncing", digest: "partial" }),
      host("c", { state: "connecting", digest: null, revision: 0, backendRevision: null }),
    ]);
    expect(audit.splitBrains).toEqual([]);
    expect(audit.notes).toContain("b is syncing (not yet synced: not compared)");
    expect(audit.notes).toContain("c is connecting (not yet synced: not compared)");
  });

  it("stale and resyncing replicas are compared (their view is complete, if old)", () => {
    const audit = auditOf([host("a", { state: "stale", staleForMs: 4000 }), host("b", { digest: "x" })]);
    expect(audit.splitBrains).toHaveLength(1);
    expect(audit.notes).toContain("a is stale for 4 s");
  });

  it("hosts of different backends are never compared with each other", () => {
    const audit = auditOf([host("a"), host("b", { backend: "redis", digest: "other" })]);
    expect(audit.splitBrains).toEqual([]);
  });

  it("an unordered backend's differing digests are drift, noted but not a split brain verdict", () => {
    const audit = auditOf([
      host("a", { backend: "legacy", ordered: false, revision: 3 }),
      host("b", { backend: "legacy", ordered: false, revision: 3, digest: "d-other" }),
    ]);
    expect(audit.splitBrains).toEqual([]);
    expect(audit.hosts.map((h) => h.lag)).toEqual([null, null]);
    expect(audit.notes.join("\n")).toMatch(/legacy hosts hold 2 different digests.*drift/);
  });
});

describe("answers from the wire are checked (rule 11 in spirit)", () => {
  it("malformed answers are refused, summed up in one note, and the others still audited", () => {
    const audit = auditOf(["not json", '{"hostId": "x"}', "[1]", host("a")]);
    expect(audit.hosts.map((h) => h.hostId)).toEqual(["a"]);
    expect(audit.notes).toHaveLength(1);
    expect(audit.notes[0]).toMatch(
      /^refused 3 answers \(not a host status\): an answer that is not JSON .*; an answer from x that is not a host status \(.*; an answer that is not a JSON object$/,
    );
  });

  it("issue 27 item 5: with a status secret, an unverified answer is listed but never compared", () => {
    const secret = StatusSecret.from("lattice-audit-status-secret");
    const signed = (id: string, overrides: Partial<HostStatusReport> = {}, nonce = "n1") =>
      signAnswer(`${host(id, overrides).slice(0, -1)},"nonce":"${nonce}"}`, secret);
    const audit = auditLattice(
      readStatusAnswers(
        [
          signed("a"),
          signed("b"),
          host("forged", { digest: "d-forged", revision: 10 }),
          host("ahead", { revision: 99, backendRevision: 99 }),
          // Rightly signed, for an earlier request: a replay.
          signed("replayed", { digest: "d-replayed" }, "n0"),
          signed("tampered").replace('"digest":"d-good"', '"digest":"d-evil"'),
        ],
        { secret, nonce: "n1" },
      ),
    );
    expect(audit.secured).toBe(true);
    expect(audit.splitBrains).toEqual([]);
    expect(audit.hosts.map((h) => [h.hostId, h.verified, h.lag])).toEqual([
      ["a", true, 0],
      ["ahead", false, 0],
      ["b", true, 0],
      ["forged", false, 0],
      ["replayed", false, 0],
      ["tampered", false, 0],
    ]);
    expect(audit.notes).toEqual([
      "4 answers not verified with the status secret (listed, never compared): forged (unsigned); ahead (unsigned); replayed (signed for another request); and 1 more",
    ]);
  });

  it("two answers under one host id are noted", () => {
    expect(auditOf([host("a"), host("a")]).notes).toContain(
      "2 hosts answered as a: give each host its own --host-id",
    );
  });

  it("decodes a well-formed report unchanged", () => {
    expect(decodeHostStatusReport(host("a"))).toEqual(JSON.parse(host("a")));
  });

  it("no answers at all is not converged", () => {
    expect(auditOf([]).converged).toBe(false);
  });
});
