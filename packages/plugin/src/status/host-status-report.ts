// What one host answers on the lattice-wide status channel, and how an answer from the wire is checked
// (answers come from other processes — from any client that may publish on the channel: a malformed or
// out-of-bounds one is reported, never trusted; issue 27).
// Rules cited here: docs/semantics.md#rule-2.
import { COLLECTION_NAMES, type CollectionName, type LatticeCache } from "@lattice-cache/core";
import { HOST_ID_TEXT } from "../settings/lattice-settings.js";
import { HOST_STATES, type HostState } from "./host-states.js";
import { STATUS_LIMITS } from "./status-limits.js";

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
  /**
   * The host's `lattice` version, or null from a host older than the field (an answer without it is still
   * accepted).
   */
  readonly version: string | null;
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

/** A decoded answer: the report, and whether its HTTP address was dropped (not an absolute http(s) URL). */
export interface DecodedAnswer {
  readonly report: HostStatusReport;
  /** The parsed object, for the members beyond the report (a signed answer's `nonce`). */
  readonly members: Readonly<Record<string, unknown>>;
  /** True when the answer named an HTTP address that is not an absolute http: or https: URL (now null). */
  readonly httpDropped: boolean;
}

/** Why an answer was refused: the counted reason, and a sentence for the audit's notes. */
export interface RefusedAnswer {
  readonly reason: "malformed" | "host-id";
  readonly problem: string;
}

const SHORT_TEXT = new RegExp(`^[\\x21-\\x7e]{1,${STATUS_LIMITS.textLength}}$`);
/** Control, format (bidi overrides), unassigned and separator characters, spaces included. */
const UNPRINTABLE = /[\p{C}\p{Z}]/u;

/** Whether `hostId` is a host id a requester accepts: 1–256 characters of the `hostId` setting's alphabet. */
export function isAcceptedHostId(hostId: unknown): hostId is string {
  return (
    typeof hostId === "string" &&
    hostId.length > 0 &&
    hostId.length <= STATUS_LIMITS.hostIdLength &&
    HOST_ID_TEXT.pattern.test(hostId)
  );
}

/**
 * `http` when it is an absolute http: or https: URL of at most STATUS_LIMITS.httpLength characters, with no
 * control, format or blank character (so it is safe to show and to link); otherwise undefined.
 */
export function acceptedHttpAddress(http: unknown): string | undefined {
  if (typeof http !== "string" || http.length === 0 || http.length > STATUS_LIMITS.httpLength)
    return undefined;
  if (UNPRINTABLE.test(http)) return undefined;
  try {
    const { protocol } = new URL(http);
    return protocol === "http:" || protocol === "https:" ? http : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Parses one answer from the wire, bounding every field (STATUS_LIMITS). Returns the decoded answer, or why
 * it is refused (the audit lists those instead of failing: one broken host must not hide the others). Names
 * the answering host in the sentence only when its id is acceptable.
 */
export function decodeHostStatusAnswer(text: string): DecodedAnswer | RefusedAnswer {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return {
      reason: "malformed",
      problem: `an answer that is not JSON (${JSON.stringify(text.slice(0, 60))})`,
    };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { reason: "malformed", problem: "an answer that is not a JSON object" };
  }
  const v = value as Record<string, unknown>;
  const problems: string[] = [];
  const shortText = (field: string): string => {
    const x = v[field];
    if (typeof x === "string" && SHORT_TEXT.test(x)) return x;
    problems.push(`${field} is not printable text of 1 to ${STATUS_LIMITS.textLength} characters`);
    return "";
  };
  const count = (x: unknown, field: string): number => {
    if (typeof x === "number" && Number.isSafeInteger(x) && x >= 0) return x;
    problems.push(`${field} is not a non-negative integer`);
    return 0;
  };
  const hostId = isAcceptedHostId(v.hostId) ? v.hostId : "";
  const state = v.state;
  if (typeof state !== "string" || !(HOST_STATES as readonly string[]).includes(state)) {
    problems.push(`state is not one of ${HOST_STATES.join(", ")}`);
  }
  const digest = v.digest === null ? null : shortText("digest");
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
  const http = acceptedHttpAddress(v.http) ?? null;
  const report: HostStatusReport = {
    hostId,
    backend: shortText("backend"),
    prefix: shortText("prefix"),
    state: state as HostState,
    ordered: v.ordered === true,
    revision: count(v.revision, "revision"),
    backendRevision: v.backendRevision === null ? null : count(v.backendRevision, "backendRevision"),
    digest,
    counts,
    staleForMs: count(v.staleForMs, "staleForMs"),
    version: v.version === undefined || v.version === null ? null : shortText("version"),
    http,
  };
  const from = hostId ? ` from ${hostId}` : "";
  if (!hostId) {
    const given = typeof v.hostId === "string" ? ` (${JSON.stringify(v.hostId.slice(0, 64))})` : "";
    const problem = `hostId${given} is not 1 to ${STATUS_LIMITS.hostIdLength} characters of ${HOST_ID_TEXT.patternText}`;
    return {
      reason: "host-id",
      problem: `an answer that is not a host status (${[problem, ...problems].join("; ")})`,
    };
  }
  if (problems.length > 0) {
    return {
      reason: "malformed",
      problem: `an answer${from} that is not a host status (${problems.join("; ")})`,
    };
  }
  return { report, members: v, httpDropped: http === null && v.http !== null && v.http !== undefined };
}

/** Parses one answer from the wire: the report, or a sentence saying what is wrong with it (see above). */
export function decodeHostStatusReport(text: string): HostStatusReport | string {
  const decoded = decodeHostStatusAnswer(text);
  return "report" in decoded ? decoded.report : decoded.problem;
}
