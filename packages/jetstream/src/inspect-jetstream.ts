// Facts for `lattice doctor`: can we reach NATS, does JetStream answer (in which domain), does the bucket
// exist and how does it compare with what we recommend — each problem with a concrete fix. Never throws
// for a broken setup; it reports it.
import { errorText, redactUrl } from "@lattice-cache/core/backend";
import { jetstreamManager, type StreamInfo } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { apiPrefixFor, BucketLayout } from "./bucket-layout.js";
import { assessBucket, type BucketDifference } from "./bucket-provisioner.js";
import { natsConnectOptions } from "./connection-options.js";
import {
  isNoResponders,
  isPermissionError,
  isStreamNotFound,
  JS_CODES,
  jetStreamCode,
} from "./nats-errors.js";
import {
  type JetStreamBackendOptions,
  parseJetStreamOptions,
  type ResolvedBucketSettings,
} from "./options.js";
import { compareServerVersions } from "./server-version.js";
import { probeAdvisoryAccess, streamAdvisorySubject } from "./stream-advisories.js";

/** How bad a finding is. */
export type FindingSeverity = "error" | "warning" | "info";

/** One finding of `inspectJetStream`, with what to do about it. */
export interface JetStreamFinding {
  /** Stable identifier, e.g. `JETSTREAM_DISABLED`, `BUCKET_MISSING`, `REPLICAS`. */
  readonly code: string;
  readonly severity: FindingSeverity;
  /** What is wrong, in one sentence. */
  readonly message: string;
  /** A concrete fix (a command or a config change). */
  readonly fix: string;
}

/** The bucket as found. */
export interface BucketFacts {
  readonly name: string;
  readonly stream: string;
  readonly exists: boolean;
  /** Present when the bucket exists. */
  readonly config?: {
    readonly replicas: number;
    readonly storage: string;
    readonly history: number;
    readonly maxValueSize: number;
    readonly allowDirect: boolean;
  };
  /** Present when the bucket exists. */
  readonly state?: { readonly entries: number; readonly lastRevision: number; readonly created: string };
  /** What we recommend for this deployment (R3 on a cluster, file storage, history 1). */
  readonly recommended: { readonly replicas: number; readonly storage: string; readonly history: number };
  /** Differences from what this backend would create. */
  readonly differences: readonly BucketDifference[];
}

/** Everything `inspectJetStream` found out. */
export interface JetStreamInspection {
  /** True when no finding has severity `error`. */
  readonly ok: boolean;
  readonly servers: readonly string[];
  readonly connected: boolean;
  readonly serverVersion: string | undefined;
  readonly serverName: string | undefined;
  /** The connected server's cluster name, when it is in a cluster. */
  readonly cluster: string | undefined;
  /** True when JetStream answered an API request (in `jsDomain` if set). */
  readonly jetstreamEnabled: boolean;
  /** The domain asked (`jsDomain`), and the domain JetStream reported, if any. */
  readonly jsDomain: string | undefined;
  readonly reportedDomain: string | undefined;
  readonly apiPrefix: string;
  readonly bucket: BucketFacts;
  readonly findings: readonly JetStreamFinding[];
}

/**
 * Connects with the backend's options, looks, disconnects. Meant for `lattice doctor`; safe to run next
 * to a live host (it only reads).
 */
export async function inspectJetStream(options: JetStreamBackendOptions): Promise<JetStreamInspection> {
  const resolved = parseJetStreamOptions(options);
  const servers = resolved.servers.map(redactUrl);
  const apiPrefix = apiPrefixFor(resolved.jsDomain);
  const layout = new BucketLayout(resolved.prefix, apiPrefix);
  const findings: JetStreamFinding[] = [];
  const base = {
    servers,
    jsDomain: resolved.jsDomain,
    apiPrefix,
  };
  const unknownBucket: BucketFacts = {
    name: layout.bucket,
    stream: layout.stream,
    exists: false,
    recommended: recommendedFor(resolved.bucket, undefined),
    differences: [],
  };

  let nc: NatsConnection;
  const ownConnection = resolved.connection === undefined;
  try {
    nc = resolved.connection ?? (await connect({ ...natsConnectOptions(resolved), maxReconnectAttempts: 0 }));
  } catch (error) {
    findings.push({
      code:
        isPermissionError(error) || /authorization/i.test(errorText(error)) ? "AUTH_REFUSED" : "UNREACHABLE",
      severity: "error",
      message: `cannot connect to ${servers.join(", ")}: ${errorText(error)}`,
      fix: /authorization/i.test(errorText(error))
        ? "check nats.auth (the auth option: token, user/pass, nkey seed or creds file) against the server's authorization block"
        : "start nats-server (`nats-server -js`), or fix nats.servers (the servers option) / the firewall",
    });
    return {
      ...base,
      ok: false,
      connected: false,
      serverVersion: undefined,
      serverName: undefined,
      cluster: undefined,
      jetstreamEnabled: false,
      reportedDomain: undefined,
      bucket: unknownBucket,
      findings,
    };
  }

  try {
    const info = nc.info;
    const serverVersion = info?.version;
    const cluster = info?.cluster;
    if (serverVersion && compareServerVersions(serverVersion, "2.9.0") < 0) {
      findings.push({
        code: "SERVER_TOO_OLD",
        severity: "error",
        message: `nats-server ${serverVersion} lacks direct gets and named consumers this backend uses`,
        fix: "upgrade nats-server to 2.9 or newer",
      });
    }
    const jsm = await jetstreamManager(nc, {
      timeout: 3000,
      checkAPI: false,
      ...(resolved.jsDomain ? { domain: resolved.jsDomain } : {}),
    });
    let jetstreamEnabled = false;
    let reportedDomain: string | undefined;
    try {
      const account = await jsm.getAccountInfo();
      jetstreamEnabled = true;
      reportedDomain = account.domain || undefined;
    } catch (error) {
      if (isPermissionError(error)) {
        findings.push({
          code: "ACCOUNT_INFO_DENIED",
          severity: "info",
          message: `not allowed to ask ${apiPrefix}.INFO (fine for a read-only host)`,
          fix: "none needed unless this host should create the bucket",
        });
      } else {
        findings.push(jetstreamMissingFinding(error, resolved.jsDomain, info?.jetstream === true, apiPrefix));
      }
    }

    let bucket = unknownBucket;
    let stream: StreamInfo | undefined;
    try {
      stream = await jsm.streams.info(layout.stream);
      jetstreamEnabled = true;
    } catch (error) {
      if (isStreamNotFound(error)) {
        jetstreamEnabled = true;
        findings.push({
          code: "BUCKET_MISSING",
          severity: resolved.provision === "bind" ? "error" : "info",
          message: `bucket ${layout.bucket} does not exist yet`,
          fix:
            resolved.provision === "bind"
              ? `create it: nats kv add ${layout.bucket} --history 1 --replicas ${cluster ? 3 : 1} --storage file` +
                `${resolved.jsDomain ? ` --js-domain ${resolved.jsDomain}` : ""}`
              : "none: the first host with provision: create makes it",
        });
      } else if (isPermissionError(error)) {
        findings.push({
          code: "STREAM_INFO_DENIED",
          severity: "error",
          message: `not allowed to read ${layout.stream}'s info (${errorText(error)})`,
          fix: `allow publish to ${apiPrefix}.STREAM.INFO.${layout.stream} for this user`,
        });
      } else if (!findings.some((f) => f.code === "JETSTREAM_DISABLED" || f.code === "DOMAIN_UNREACHABLE")) {
        findings.push(jetstreamMissingFinding(error, resolved.jsDomain, info?.jetstream === true, apiPrefix));
      }
    }
    if (jetstreamEnabled) {
      // JetStream answered after all: drop a "missing" finding from the account check.
      for (let i = findings.length - 1; i >= 0; i--) {
        const code = findings[i]?.code;
        if (code === "JETSTREAM_DISABLED" || code === "DOMAIN_UNREACHABLE") findings.splice(i, 1);
      }
    }
    if (jetstreamEnabled && info?.jetstream !== true && resolved.jsDomain === undefined) {
      findings.push({
        code: "LEAF_WITHOUT_DOMAIN",
        severity: "warning",
        message:
          "the connected server has no JetStream of its own; requests reach JetStream elsewhere without a domain " +
          "(leaf nodes that later enable JetStream silently make a private bucket)",
        fix: "give the hub a JetStream domain (jetstream { domain: hub }) and set nats.jsDomain (the jsDomain option) to it",
      });
    }
    if (reportedDomain !== undefined && resolved.jsDomain === undefined) {
      // The classic leaf-node trap: a server with its own JetStream domain answers $JS.API locally, so a
      // host without jsDomain silently gets a private bucket instead of the lattice's shared one.
      findings.push({
        code: "LOCAL_DOMAIN",
        severity: stream ? "info" : "warning",
        message:
          `JetStream here is domain "${reportedDomain}" and jsDomain is not set: this host uses the bucket of ` +
          `domain "${reportedDomain}"${stream ? "" : ", which does not exist yet"}`,
        fix:
          `if the lattice's bucket lives in another domain (e.g. the hub of a leaf node), set nats.jsDomain (the jsDomain option) to that ` +
          `domain; otherwise set nats.jsDomain: ${reportedDomain} on every host to make the choice explicit`,
      });
    }
    if (stream) bucket = bucketFacts(layout, stream, resolved.bucket, cluster, findings);
    if ((await probeAdvisoryAccess(nc, layout.stream)) === "denied") {
      findings.push({
        code: "ADVISORIES_DENIED",
        severity: "warning",
        message:
          `not allowed to subscribe to ${streamAdvisorySubject(layout.stream)}: this host still works, but its ` +
          "replica notices a stream leader change or a recreated bucket only on its slow fallback check (~60 s)",
        fix: `allow subscribe to ${streamAdvisorySubject(layout.stream)} for this user`,
      });
    }
    return {
      ...base,
      ok: !findings.some((f) => f.severity === "error"),
      connected: true,
      serverVersion,
      serverName: info?.server_name,
      cluster,
      jetstreamEnabled,
      reportedDomain,
      bucket,
      findings,
    };
  } finally {
    if (ownConnection) await nc.close().catch(() => {});
  }
}

function jetstreamMissingFinding(
  error: unknown,
  jsDomain: string | undefined,
  serverHasJetStream: boolean | undefined,
  apiPrefix: string,
): JetStreamFinding {
  const code = jetStreamCode(error);
  if (jsDomain !== undefined && isNoResponders(error)) {
    return {
      code: "DOMAIN_UNREACHABLE",
      severity: "error",
      message: `no JetStream answered on ${apiPrefix} (domain "${jsDomain}")`,
      fix: `check the domain name (jetstream { domain: ${jsDomain} } on the servers holding the bucket) and the leaf node connection`,
    };
  }
  if (isNoResponders(error) || code === JS_CODES.notEnabled || code === JS_CODES.notEnabledForAccount) {
    return {
      code: "JETSTREAM_DISABLED",
      severity: "error",
      message:
        serverHasJetStream === false
          ? "JetStream is not enabled on the connected server"
          : "JetStream is not enabled for this account",
      fix:
        serverHasJetStream === false
          ? "start the server with `nats-server -js` or add `jetstream {}` to its config (or set nats.jsDomain, the jsDomain option, if JetStream lives in another domain)"
          : "enable JetStream for the account (`jetstream: enabled` in the accounts block)",
    };
  }
  return {
    code: "JETSTREAM_ERROR",
    severity: "error",
    message: `JetStream request failed: ${errorText(error)}`,
    fix: "check the server log; a cluster may be electing a leader (retry in a few seconds)",
  };
}

function recommendedFor(settings: ResolvedBucketSettings, cluster: string | undefined) {
  return { replicas: cluster ? 3 : settings.replicas, storage: "file" as const, history: 1 };
}

function bucketFacts(
  layout: BucketLayout,
  stream: StreamInfo,
  settings: ResolvedBucketSettings,
  cluster: string | undefined,
  findings: JetStreamFinding[],
): BucketFacts {
  const config = stream.config;
  const recommended = recommendedFor(settings, cluster);
  const { problems, differences } = assessBucket(layout, config, { ...settings, ...recommended });
  for (const problem of problems) {
    findings.push({
      code: "BUCKET_UNUSABLE",
      severity: "error",
      message: problem,
      fix: `recreate it: nats kv del ${layout.bucket} && nats kv add ${layout.bucket} --history 1 --replicas ${recommended.replicas} --storage file`,
    });
  }
  const replicas = config.num_replicas ?? 1;
  if (cluster && replicas < 3) {
    findings.push({
      code: "REPLICAS",
      severity: "warning",
      message: `bucket ${layout.bucket} has ${replicas} replica(s) on cluster ${cluster}: losing one server loses the cache`,
      fix: `nats stream edit ${layout.stream} --replicas 3`,
    });
  }
  if (config.storage === "memory") {
    findings.push({
      code: "STORAGE",
      severity: "warning",
      message: `bucket ${layout.bucket} uses memory storage: a server restart empties it`,
      fix: `recreate it with file storage: nats kv add ${layout.bucket} --storage file (after nats kv del)`,
    });
  }
  if ((config.max_msgs_per_subject ?? 1) !== 1) {
    findings.push({
      code: "HISTORY",
      severity: "info",
      message: `bucket ${layout.bucket} keeps ${config.max_msgs_per_subject} revisions per key; only the latest is used`,
      fix: `nats stream edit ${layout.stream} --max-msgs-per-subject 1 (optional)`,
    });
  }
  if (!config.allow_direct) {
    findings.push({
      code: "DIRECT_GET",
      severity: "info",
      message: `bucket ${layout.bucket} does not allow direct gets; conflict checks go through the stream leader`,
      fix: `nats stream edit ${layout.stream} --allow-direct`,
    });
  }
  if ((config.max_age ?? 0) > 0) {
    findings.push({
      code: "TTL",
      severity: "warning",
      message: `entries of ${layout.bucket} expire (max_age) without delete markers; replicas keep them until a resync`,
      fix: `nats stream edit ${layout.stream} --max-age 0`,
    });
  }
  return {
    name: layout.bucket,
    stream: layout.stream,
    exists: true,
    config: {
      replicas,
      storage: config.storage,
      history: config.max_msgs_per_subject,
      maxValueSize: config.max_msg_size,
      allowDirect: config.allow_direct ?? false,
    },
    state: { entries: stream.state.messages, lastRevision: stream.state.last_seq, created: stream.created },
    recommended,
    differences,
  };
}
