// Whether the hosts that answered a status request are the fleet expected (issue 28 item 3): how many
// (`--expect N`), which ones (`--expect-hosts a,b,c`), and — always — no two answers under one host id. Only
// compared answers count (with a status secret, the verified ones): a forged answer can neither stand in for
// a missing host nor make a duplicate. Pure.
import { comparedOf, type LatticeAudit } from "./lattice-audit.js";

/** The fleet a requester expects; both members optional (nothing expected: only duplicates are checked). */
export interface FleetExpectation {
  /** How many hosts should answer. */
  readonly count?: number;
  /** The ids of the hosts that should answer (and no others). */
  readonly hostIds?: readonly string[];
}

/** The result of {@link checkFleet}. */
export interface FleetCheck {
  /** How many hosts were expected, or null when no expectation was given. */
  readonly expected: number | null;
  /** How many compared answers arrived. */
  readonly answered: number;
  /** Expected host ids that did not answer, sorted. */
  readonly missing: readonly string[];
  /** Host ids that answered but were not expected (only with expected ids), sorted. */
  readonly unexpected: readonly string[];
  /** Host ids that more than one answer carried, sorted (always checked). */
  readonly duplicated: readonly string[];
  /** True when the answers are the fleet expected, each host once. */
  readonly ok: boolean;
}

/** Checks the hosts of `audit` against `expectation`. */
export function checkFleet(audit: LatticeAudit, expectation: FleetExpectation = {}): FleetCheck {
  const answeredIds = comparedOf(audit.hosts, audit.secured).map((h) => h.hostId);
  const present = new Set(answeredIds);
  const wanted = expectation.hostIds ? new Set(expectation.hostIds) : undefined;
  const expected = expectation.count ?? wanted?.size ?? null;
  const missing = wanted ? [...wanted].filter((id) => !present.has(id)).sort() : [];
  const unexpected = wanted ? [...present].filter((id) => !wanted.has(id)).sort() : [];
  const duplicated = [...audit.duplicateHostIds].sort();
  const ok =
    (expected === null || answeredIds.length === expected) &&
    missing.length === 0 &&
    unexpected.length === 0 &&
    duplicated.length === 0;
  return { expected, answered: answeredIds.length, missing, unexpected, duplicated, ok };
}

/** One line per problem of a fleet check (none when it is ok). */
export function describeFleetProblems(check: FleetCheck): string[] {
  const lines: string[] = [];
  if (check.expected !== null && check.answered !== check.expected) {
    lines.push(
      `${check.answered} host${check.answered === 1 ? "" : "s"} answered, ${check.expected} expected`,
    );
  }
  if (check.missing.length > 0) lines.push(`missing: ${check.missing.join(", ")}`);
  if (check.unexpected.length > 0) lines.push(`unexpected: ${check.unexpected.join(", ")}`);
  if (check.duplicated.length > 0) {
    lines.push(`duplicated: ${check.duplicated.join(", ")} (more than one host answered under the same id)`);
  }
  return lines;
}
