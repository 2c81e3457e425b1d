// The cross-host audit as a pure function of the answers gathered on the status channel.
// Rules cited here: docs/semantics.md#rule-2, #rule-11.

import {
  decodeHostStatusReport,
  type HostStatusReport,
  readStatusAnswers,
  StatusSecret,
  signAnswer,
} from "@lattice-cache/plugin";
import { describe, expect, it } from "vitest";
import { auditLattice } from "./lattice-audit.js";
import { statusAnswer } from "./status-answer.test-helpers.js";

/** The audit of these raw answers, read as a requester without a status secret reads them. */
const auditOf = (answers: readonly string[]) => auditLattice(readStatusAnswers(answers));

/** A live jetstream host at revision 10 with digest `d-good`, as it answers on the wire. */
function host(id: string, overrides: Partial<HostStatusReport> = {}): string {
  return statusAnswer(id, {
    revision: 10,
    backendRevision: 10,
    digest: "d-good",
    counts: { linkdefs: 2, claims: 1, refmaps: 0 },
    ...overrides,
  });
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
        prefix: "default",
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

  it("two answers under one host id are noted, and the id is listed as duplicated", () => {
    const audit = auditOf([host("a"), host("a"), host("b")]);
    expect(audit.notes).toContain("2 hosts answered as a: give each host its own --host-id");
    expect(audit.duplicateHostIds).toEqual(["a"]);
    expect(audit.converged).toBe(false);
  });

  it("issue 28 item 3: an older host's answer without a version is accepted, its version null", () => {
    const { version: _, ...older } = JSON.parse(host("old")) as HostStatusReport;
    const audit = auditOf([JSON.stringify(older), host("new")]);
    expect(audit.hosts.map((h) => [h.hostId, h.version])).toEqual([
      ["new", "0.1.0"],
      ["old", null],
    ]);
    expect(audit.notes).toEqual([]);
  });

  it("a version beyond the bounds is refused like any other field", () => {
    expect(auditOf([host("a", { version: "v".repeat(129) })]).notes[0]).toMatch(
      /version is not printable text/,
    );
  });

  it("decodes a well-formed report unchanged", () => {
    expect(decodeHostStatusReport(host("a"))).toEqual(JSON.parse(host("a")));
  });

  it("no answers at all is not converged", () => {
    expect(auditOf([]).converged).toBe(false);
  });
});

describe("issue 28 item 3: revisions and digests are compared only within one backend and lattice", () => {
  const legacy = (id: string, overrides: Partial<HostStatusReport> = {}) =>
    host(id, {
      backend: "legacy",
      ordered: false,
      revision: 5,
      backendRevision: null,
      digest: "12977d3915a7",
      ...overrides,
    });
  const jetstream = (id: string) => host(id, { revision: 5, backendRevision: 5, digest: "32b0c819f060" });

  it("a legacy host and two jetstream hosts at revision 5 are two groups, each agreeing with itself", () => {
    const audit = auditOf([legacy("l1"), jetstream("j1"), jetstream("j2")]);
    expect(audit.splitBrains).toEqual([]);
    expect(audit.groups).toEqual([
      {
        backend: "jetstream",
        prefix: "default",
        ordered: true,
        hostIds: ["j1", "j2"],
        revisions: [5],
        digests: ["32b0c819f060"],
        agree: true,
      },
      {
        backend: "legacy",
        prefix: "default",
        ordered: false,
        hostIds: ["l1"],
        revisions: [5],
        digests: ["12977d3915a7"],
        agree: true,
      },
    ]);
  });

  it("legacy hosts at different revisions with one digest agree (their revisions are per host)", () => {
    const audit = auditOf([legacy("l1"), legacy("l2", { revision: 9 })]);
    expect(audit.groups.map((g) => g.agree)).toEqual([true]);
    expect(audit.converged).toBe(true);
  });

  it("a group whose hosts hold different digests does not agree, and the audit does not converge", () => {
    const audit = auditOf([legacy("l1"), legacy("l2", { digest: "d-other" }), jetstream("j1")]);
    expect(audit.groups.map((g) => [g.backend, g.agree])).toEqual([
      ["jetstream", true],
      ["legacy", false],
    ]);
    expect(audit.converged).toBe(false);
  });

  it("hosts of one backend on different lattices (prefixes) are never compared", () => {
    const audit = auditOf([host("a"), host("b", { prefix: "other", digest: "d-other" })]);
    expect(audit.splitBrains).toEqual([]);
    expect(audit.groups.map((g) => [g.prefix, g.hostIds])).toEqual([
      ["default", ["a"]],
      ["other", ["b"]],
    ]);
  });

  it("a jetstream host still connecting (ordered: false) stays in the jetstream group, which does not agree", () => {
    const audit = auditOf([
      host("a"),
      host("b", { state: "connecting", ordered: false, revision: 0, backendRevision: null, digest: null }),
    ]);
    expect(audit.groups).toMatchObject([
      { backend: "jetstream", ordered: true, hostIds: ["a", "b"], agree: false },
    ]);
  });
});
