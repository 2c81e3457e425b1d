// What `lattice status --hosts` says in its summary (issue 28 item 3): true for every mix of backends, never
// "the same digest" when digests differ, and the fleet expected.

import type { HostStatusReport } from "@lattice-cache/plugin";
import { readStatusAnswers } from "@lattice-cache/plugin";
import { describe, expect, it } from "vitest";
import { checkFleet } from "../audit/fleet-check.js";
import { auditLattice } from "../audit/lattice-audit.js";
import { statusAnswer as answer } from "../audit/status-answer.test-helpers.js";
import { formatAudit } from "./audit-output.js";

const legacy = (id: string, overrides: Partial<HostStatusReport> = {}) =>
  answer(id, {
    backend: "legacy",
    ordered: false,
    backendRevision: null,
    digest: "12977d3915a7",
    ...overrides,
  });

/** The text `status --hosts` prints for these answers and expectation. */
function printed(answers: readonly string[], expect: { count?: number; hostIds?: string[] } = {}) {
  const audit = auditLattice(readStatusAnswers(answers));
  return formatAudit(audit, "NATS subject lattice-cache.default.status", 1500, checkFleet(audit, expect));
}

describe("the summary of `status --hosts`", () => {
  it("one backend in agreement: all hosts live at the same revision with the same digest", () => {
    expect(printed([answer("j1"), answer("j2")])).toContain(
      "all hosts are live at the same revision with the same digest",
    );
  });

  it("the reported mixed fleet: a legacy host and two jetstream hosts all at revision 5 are summed up per backend", () => {
    const text = printed([legacy("l1"), answer("j1"), answer("j2")]);
    expect(text).not.toContain("same digest");
    expect(text).toContain(
      [
        "hosts of different backends answered: their revisions and digests are not comparable across backends",
        "  2 jetstream hosts agree at revision 5, digest 32b0c819f060",
        "  1 legacy host: revisions not comparable with jetstream; digest 12977d3915a7",
      ].join("\n"),
    );
  });

  it("a mixed fleet whose legacy hosts drift says how many digests they hold", () => {
    const text = printed([legacy("l1"), legacy("l2", { digest: "d-other", revision: 7 }), answer("j1")]);
    expect(text).not.toContain("same digest");
    expect(text).toContain("  1 jetstream host is live at revision 5, digest 32b0c819f060");
    expect(text).toContain("  2 legacy hosts: revisions not comparable with jetstream; 2 different digests");
  });

  it("a mixed fleet with jetstream hosts behind says they are not in agreement", () => {
    const text = printed([legacy("l1"), answer("j1"), answer("j2", { revision: 4, digest: "d-old" })]);
    expect(text).toContain(
      "  2 jetstream hosts, not all live and in agreement: revisions 4 to 5, 2 different digests (see the notes)",
    );
  });

  it("legacy hosts alone at different revisions with one digest: not called the same revision", () => {
    const text = printed([legacy("l1"), legacy("l2", { revision: 9 })]);
    expect(text).not.toContain("same revision");
    expect(text).toContain(
      "all hosts are live with the same digest (the legacy backend is unordered: revisions are per host, not compared)",
    );
  });

  it("the version is a column (`-` for an older host that does not report it)", () => {
    const { version: _, ...older } = JSON.parse(answer("old")) as HostStatusReport;
    const text = printed([answer("new"), JSON.stringify(older)]);
    expect(text).toMatch(
      /^HOST\s+BACKEND\s+STATE\s+REVISION\s+LAG\s+DIGEST\s+ENTRIES L\/C\/R\s+VERSION\s+HTTP\s+FLAG$/m,
    );
    expect(text).toMatch(/^new\s+jetstream\s+live\s+5\s+0\s+32b0c819f060\s+0\/1\/0\s+0\.1\.0\s+-$/m);
    expect(text).toMatch(/^old\s+jetstream\s+live\s+5\s+0\s+32b0c819f060\s+0\/1\/0\s+-\s+-$/m);
  });

  it("the fleet expected: a line when it answered, its problems when not, and no claim about all hosts", () => {
    expect(printed([answer("a"), answer("b")], { count: 2 })).toContain("2 of 2 expected hosts answered");
    const text = printed([answer("a"), answer("b")], { hostIds: ["a", "b", "c"] });
    expect(text).toContain("2 hosts answered, 3 expected\nmissing: c");
    expect(text).not.toContain("all hosts are live");
    expect(text).toContain(
      "the hosts that answered are live at the same revision with the same digest, but they are not the hosts expected",
    );
  });
});
