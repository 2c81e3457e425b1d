// What one host answers on the lattice-wide status channel, and how an answer from the wire is checked
// (answers come from other processes: a malformed one is reported, never trusted).
// Rules cited here: docs/semantics.md#rule-2.
import { COLLECTION_NAMES, type CollectionName, type LatticeCache } from "@lattice-cache/core";
import { HOST_STATES, type HostState } from "../observability/host-states.js";

/** One host's answer to a status request (JSON on the wire). */
export interface HostStatusReport {
  /** The answering host's id. */
  readonly hostId: string;
  /** Its backend's name, e.g. `jetstream`. */
  readonly backend: string;
  /** Its lattice prefix. */
  readonly prefix: string;
  /** `connecting` until the backend is open, then the replica's state. */
  readonly state: HostState;
  /** True when the backend orders writes lattice-wide, so equal revisions must mean equal digests (rule 2). */
  readonly ordered: boolean;
  /** The last revision its replica applied. */
  readonly revision: number;
  /** The backend's revision when the host last looked, or null when unknown. */
  readonly backendRevision: number | null;
  /** The replica's digest (rule 2), or null before the backend is open. */
  readonly digest: string | null;
  /** Live entries per collection. */
  readonly counts: Readonly<Record<CollectionName, number>>;
  /** How long the replica has been stale (0 while live). */
  readonly staleForMs: number;
  /** The host's `lattice` version. */
  readonly version: string;
  /** The host's HTTP address, when it serves one. */
  readonly http: string | null;
}

/** Facts about a host that do not come from its cache. */
export interface HostFacts {
  readonly hostId: string;
  readonly backend: string;
  readonly prefix: string;
  readonly version: string;
  readonly http: string | null;
}

/** The report of a host whose cache is `cache` (undefined while the backend is not open yet). */
export function hostStatusReport(cache: LatticeCache | undefined, facts: HostFacts): HostStatusReport {
  if (!cache) {
    return {
      ...facts,
      state: "connecting",
      ordered: false,
      revision: 0,
      backendRevision: null,
      digest: null,
      counts: { linkdefs: 0, claims: 0, refmaps: 0 },
      staleForMs: 0,
    };
  }
  const s = cache.status();
  return {
    ...facts,
    hostId: s.hostId,
    backend: s.backend,
    state: s.state,
    ordered: s.capabilities.ordered,
    revision: s.revision,
    backendRevision: s.backendRevision ?? null,
    digest: s.digest,
    counts: s.counts,
    staleForMs: s.staleForMs,
  };
}

/**
 * Parses one answer from the wire. Returns the report, or a sentence saying what is wrong with it (the
 * audit lists those instead of failing: one broken host must not hide the others).
 */
export function decodeHostStatusReport(text: string): HostStatusReport | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `an answer that is not JSON (${JSON.stringify(text.slice(0, 60))})`;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return "an answer that is not a JSON object";
  }
  const v = value as Record<string, unknown>;
  const problems: string[] = [];
  const str = (field: string): string => {
    const x = v[field];
    if (typeof x === "string" && x.length > 0) return x;
    problems.push(`${field} is not a non-empty string`);
    return "";
  };
  const count = (x: unknown, field: string): number => {
    if (typeof x === "number" && Number.isSafeInteger(x) && x >= 0) return x;
    problems.push(`${field} is not a non-negative integer`);
    return 0;
  };
  const hostId = str("hostId");
  const state = v.state;
  if (typeof state !== "string" || !(HOST_STATES as readonly string[]).includes(state)) {
    problems.push(`state is not one of ${HOST_STATES.join(", ")}`);
  }
  const digest = v.digest;
  if (digest !== null && (typeof digest !== "string" || digest.length === 0)) {
    problems.push("digest is neither a string nor null");
  }
  const counts = {} as Record<CollectionName, number>;
  const rawCounts = v.counts;
  for (const name of COLLECTION_NAMES) {
    counts[name] = count(
      typeof rawCounts === "object" && rawCounts !== null
        ? (rawCounts as Record<string, unknown>)[name]
        : undefined,
      `counts.${name}`,
    );
  }
  const report: HostStatusReport = {
    hostId,
    backend: str("backend"),
    prefix: str("prefix"),
    state: state as HostState,
    ordered: v.ordered === true,
    revision: count(v.revision, "revision"),
    backendRevision: v.backendRevision === null ? null : count(v.backendRevision, "backendRevision"),
    digest: typeof digest === "string" ? digest : null,
    counts,
    staleForMs: count(v.staleForMs, "staleForMs"),
    version: str("version"),
    http: typeof v.http === "string" ? v.http : null,
  };
  if (problems.length > 0) {
    return `an answer${hostId ? ` from ${hostId}` : ""} that is not a host status (${problems.join("; ")})`;
  }
  return report;
}
