// A host's status answer as it travels on the wire, for tests of what a requester makes of answers.
import type { HostStatusReport } from "@lattice-cache/plugin";

/**
 * The JSON answer of a live jetstream host `hostId` at revision 5 (digest `32b0c819f060`, one claim), with
 * `overrides` applied.
 */
export function statusAnswer(hostId: string, overrides: Partial<HostStatusReport> = {}): string {
  const report: HostStatusReport = {
    hostId,
    backend: "jetstream",
    prefix: "default",
    state: "live",
    ordered: true,
    revision: 5,
    backendRevision: 5,
    digest: "32b0c819f060",
    counts: { linkdefs: 0, claims: 1, refmaps: 0 },
    staleForMs: 0,
    version: "0.1.0",
    http: null,
    ...overrides,
  };
  return JSON.stringify(report);
}
