// `lattice doctor` for the jetstream backend: turns inspectJetStream's facts and findings into checks, and
// adds the advice on replicas and on server versions before 2.10.
import type { CheckOutcome, DoctorCheck } from "@lattice-cache/plugin";
import { inspectJetStream, type JetStreamFinding, type JetStreamInspection } from "../inspect-jetstream.js";
import { type JetStreamBackendOptions, parseJetStreamOptions, type ResolvedOptions } from "../options.js";
import { compareServerVersions } from "../server-version.js";

/** The check each inspection finding belongs to (unknown codes get their own line). */
const CHECK_OF_FINDING: Readonly<Record<string, string>> = {
  UNREACHABLE: "NATS reachable",
  AUTH_REFUSED: "NATS reachable",
  SERVER_TOO_OLD: "server version",
  JETSTREAM_DISABLED: "JetStream enabled",
  JETSTREAM_ERROR: "JetStream enabled",
  ACCOUNT_INFO_DENIED: "JetStream enabled",
  DOMAIN_UNREACHABLE: "JetStream domain",
  LEAF_WITHOUT_DOMAIN: "JetStream domain",
  BUCKET_MISSING: "bucket",
  BUCKET_UNUSABLE: "bucket",
  STREAM_INFO_DENIED: "bucket",
  ADVISORIES_DENIED: "stream advisories",
  REPLICAS: "bucket replicas",
  STORAGE: "bucket storage",
};

/** The first server version with the features 2.9 lacks (multi-filter watch, compression, transforms, metadata). */
const FEATURE_VERSION = "2.10.0";

/** Runs `inspectJetStream` with the backend's options and reports one check per concern. */
export async function diagnoseJetStream(options: JetStreamBackendOptions): Promise<DoctorCheck[]> {
  return checksFromInspection(await inspectJetStream(options), parseJetStreamOptions(options));
}

/** The checks for one inspection of a backend with `options`. */
export function checksFromInspection(
  inspection: JetStreamInspection,
  options: ResolvedOptions,
): DoctorCheck[] {
  const byCheck = new Map<string, JetStreamFinding[]>();
  for (const finding of inspection.findings) {
    const name = CHECK_OF_FINDING[finding.code] ?? `bucket setting ${finding.code.toLowerCase()}`;
    byCheck.set(name, [...(byCheck.get(name) ?? []), finding]);
  }
  const checks: DoctorCheck[] = [];
  const add = (name: string, fallback: DoctorCheck | undefined) => {
    const findings = byCheck.get(name);
    byCheck.delete(name);
    if (findings?.length) checks.push(...findings.map((f) => fromFinding(name, f)));
    else if (fallback) checks.push(fallback);
  };
  const servers = inspection.servers.join(", ");
  const server = `${inspection.serverName ?? "server"} ${inspection.serverVersion ?? ""}`.trim();

  add("NATS reachable", {
    name: "NATS reachable",
    outcome: "pass",
    detail: `connected to ${servers} (${server}${inspection.cluster ? `, cluster ${inspection.cluster}` : ""})`,
  });
  if (!inspection.connected) return [...checks, ...rest(byCheck)];

  add("server version", versionCheck(inspection.serverVersion));
  add("JetStream enabled", {
    name: "JetStream enabled",
    outcome: inspection.jetstreamEnabled ? "pass" : "fail",
    detail: inspection.jetstreamEnabled
      ? `JetStream answers on ${inspection.apiPrefix}`
      : "JetStream did not answer",
    fix: "start the server with `nats-server -js` or add `jetstream {}` to its config",
  });
  add("JetStream domain", {
    name: "JetStream domain",
    outcome: "pass",
    detail: inspection.jsDomain
      ? `domain ${inspection.jsDomain} answers (API ${inspection.apiPrefix})`
      : `none configured${inspection.reportedDomain ? ` (the account's JetStream reports domain ${inspection.reportedDomain})` : ""}`,
  });
  const bucket = inspection.bucket;
  add(
    "bucket",
    bucket.exists && bucket.config
      ? {
          name: "bucket",
          outcome: "pass",
          detail:
            `${bucket.name}: ${bucket.state?.entries ?? 0} messages, last revision ${bucket.state?.lastRevision ?? 0}, ` +
            `history ${bucket.config.history}, max value ${bucket.config.maxValueSize} bytes`,
        }
      : undefined,
  );
  add("stream advisories", {
    name: "stream advisories",
    outcome: "pass",
    detail: `may subscribe to ${bucket.stream}'s advisories: a leader change or a recreated bucket reaches replicas at once`,
  });
  // A missing bucket is judged by the settings it is about to be created with.
  const planned = !bucket.exists && options.provision !== "bind";
  const replicas = bucket.config?.replicas ?? (planned ? options.bucket.replicas : undefined);
  const storage = bucket.config?.storage ?? (planned ? options.bucket.storage : undefined);
  const verb = planned ? "will be created with " : "";
  if (replicas !== undefined && storage !== undefined) {
    add(
      "bucket replicas",
      replicas >= 3
        ? { name: "bucket replicas", outcome: "pass", detail: `${verb}${replicas} replicas` }
        : {
            name: "bucket replicas",
            outcome: "warn",
            detail: `${verb}${replicas} replica${replicas === 1 ? "" : "s"}: fine for development; 3 are advised for production`,
            fix:
              `run a 3-server JetStream cluster and \`nats stream edit ${bucket.stream} --replicas 3\` ` +
              "(or set nats.bucket.replicas: 3 before the bucket is first created)",
          },
    );
    add(
      "bucket storage",
      storage === "file"
        ? {
            name: "bucket storage",
            outcome: "pass",
            detail: `${verb}file storage (survives server restarts)`,
          }
        : {
            name: "bucket storage",
            outcome: "warn",
            detail: `${verb}memory storage: a server restart empties the cache`,
            fix: "use file storage (nats.bucket.storage: file) for anything but throwaway tests",
          },
    );
  }
  return [...checks, ...rest(byCheck)];
}

function versionCheck(version: string | undefined): DoctorCheck {
  if (version === undefined)
    return { name: "server version", outcome: "warn", detail: "the server did not report a version" };
  if (compareServerVersions(version, FEATURE_VERSION) >= 0) {
    return { name: "server version", outcome: "pass", detail: `nats-server ${version}` };
  }
  return {
    name: "server version",
    outcome: "warn",
    detail:
      `nats-server ${version} is older than 2.10: multi-key watch filters, compression, stream metadata and ` +
      "subject transforms are gated off (per-key TTL needs 2.11); everything the cache needs works",
    fix: "upgrade nats-server to 2.10 or newer to enable those features",
  };
}

function fromFinding(name: string, f: JetStreamFinding): DoctorCheck {
  const outcome: CheckOutcome = f.severity === "error" ? "fail" : f.severity === "warning" ? "warn" : "pass";
  return { name, outcome, detail: f.message, ...(outcome === "pass" ? {} : { fix: f.fix }) };
}

function rest(byCheck: Map<string, JetStreamFinding[]>): DoctorCheck[] {
  return [...byCheck].flatMap(([name, findings]) => findings.map((f) => fromFinding(name, f)));
}
