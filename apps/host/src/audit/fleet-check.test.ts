// Whether the hosts that answered are the fleet expected (issue 28 item 3), as a pure function of the audit.

import { readStatusAnswers, StatusSecret, signAnswer } from "@lattice-cache/plugin";
import { describe, expect, it } from "vitest";
import { checkFleet, describeFleetProblems } from "./fleet-check.js";
import { auditLattice } from "./lattice-audit.js";
import { statusAnswer as answer } from "./status-answer.test-helpers.js";

const auditOf = (...ids: string[]) => auditLattice(readStatusAnswers(ids.map((id) => answer(id))));

describe("the fleet expected", () => {
  it("nothing expected: any number of distinct hosts is fine", () => {
    expect(checkFleet(auditOf("a", "b"))).toEqual({
      expected: null,
      answered: 2,
      missing: [],
      unexpected: [],
      duplicated: [],
      ok: true,
    });
  });

  it("--expect 3 with two answers: not ok, saying how many answered", () => {
    const check = checkFleet(auditOf("a", "b"), { count: 3 });
    expect(check).toMatchObject({ expected: 3, answered: 2, ok: false });
    expect(describeFleetProblems(check)).toEqual(["2 hosts answered, 3 expected"]);
  });

  it("--expect 1 with two answers: more hosts than expected is not ok either", () => {
    expect(describeFleetProblems(checkFleet(auditOf("a", "b"), { count: 1 }))).toEqual([
      "2 hosts answered, 1 expected",
    ]);
  });

  it("--expect-hosts names the missing and the unexpected hosts", () => {
    const check = checkFleet(auditOf("a", "x"), { hostIds: ["c", "a", "b"] });
    expect(check).toEqual({
      expected: 3,
      answered: 2,
      missing: ["b", "c"],
      unexpected: ["x"],
      duplicated: [],
      ok: false,
    });
    expect(describeFleetProblems(check)).toEqual([
      "2 hosts answered, 3 expected",
      "missing: b, c",
      "unexpected: x",
    ]);
  });

  it("a host id answered twice is an error without any expectation, and cannot stand in for a missing host", () => {
    const check = checkFleet(auditOf("a", "a"), { hostIds: ["a", "b"] });
    expect(check).toMatchObject({ answered: 2, missing: ["b"], duplicated: ["a"], ok: false });
    expect(checkFleet(auditOf("a", "a")).ok).toBe(false);
    expect(describeFleetProblems(checkFleet(auditOf("a", "a")))).toEqual([
      "duplicated: a (more than one host answered under the same id)",
    ]);
  });

  it("with a status secret, an unverified answer neither counts as a host nor makes a duplicate", () => {
    const secret = StatusSecret.from("fleet-check-status-secret");
    const signed = (id: string) => signAnswer(`${answer(id).slice(0, -1)},"nonce":"n1"}`, secret);
    const audit = auditLattice(
      readStatusAnswers([signed("a"), answer("b"), answer("a")], { secret, nonce: "n1" }),
    );
    expect(checkFleet(audit, { hostIds: ["a", "b"] })).toMatchObject({
      answered: 1,
      missing: ["b"],
      duplicated: [],
      ok: false,
    });
  });
});
