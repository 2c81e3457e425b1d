// The server's own word on the bucket's stream: `$JS.EVENT.ADVISORY.STREAM.<EVENT>.<stream>` announces a new
// stream leader, lost quorum, a stream deleted, created or updated. One core NATS subscription per backend,
// costing nothing while nothing happens — where one head request per host per second used to find the same
// events. The backend turns each into a signal to its feeds (their replicas ask the head once) and, for a
// leader election, into the leader its feeds' history audits compare with (history-audit.ts).
// A host not allowed to subscribe still works: its replicas find these events on the slow fallback.
// Rules cited here: docs/semantics.md#rule-9.
import type { Logger } from "@lattice-cache/core/backend";
import type { Msg, NatsConnection, Subscription } from "@nats-io/nats-core";
import type { ConnectionState } from "./connection-state.js";

/** The subject prefix of stream advisories. */
export const STREAM_ADVISORY_PREFIX = "$JS.EVENT.ADVISORY.STREAM";

/** The subject the backend subscribes to for one stream's advisories. */
export function streamAdvisorySubject(stream: string): string {
  return `${STREAM_ADVISORY_PREFIX}.*.${stream}`;
}

/**
 * Whether this connection may subscribe to the stream's advisories: the server refuses a subscription
 * asynchronously, so this subscribes, flushes (the refusal comes before the flush's answer) and unsubscribes.
 */
export async function probeAdvisoryAccess(nc: NatsConnection, stream: string): Promise<"allowed" | "denied"> {
  let denied = false;
  const subscription = nc.subscribe(streamAdvisorySubject(stream), {
    callback: (error) => {
      if (error && /permission/i.test(error.message)) denied = true;
    },
  });
  try {
    await nc.flush();
  } finally {
    subscription.unsubscribe();
  }
  return denied ? "denied" : "allowed";
}

/** One advisory about the stream. */
export interface StreamAdvisory {
  /** The event, from the subject: `LEADER_ELECTED`, `QUORUM_LOST`, `DELETED`, `CREATED`, `UPDATED`, … */
  readonly event: string;
  /** The new leader's server name (`LEADER_ELECTED` only). */
  readonly leader?: string;
}

/** Whether the subscription works: unknown until it was refused or an advisory arrived. */
export type AdvisoryAccess = "unknown" | "receiving" | "denied";

/** Follows one stream's advisories (see the file comment). */
export class StreamAdvisories {
  private subscription: Subscription | undefined;
  private unlistenErrors: (() => void) | undefined;
  private accessState: AdvisoryAccess = "unknown";
  private deniedDetail: string | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly connection: ConnectionState,
    private readonly stream: string,
    private readonly logger: Logger,
    private readonly onAdvisory: (advisory: StreamAdvisory) => void,
  ) {}

  /** `denied` once the server refused the subscription (the reason is in `deniedBecause`). */
  get access(): AdvisoryAccess {
    return this.accessState;
  }

  /** Why the subscription was refused, when it was. */
  get deniedBecause(): string | undefined {
    return this.deniedDetail;
  }

  /** Subscribes. The server answers a refusal asynchronously, on the connection. */
  start(): void {
    const subject = streamAdvisorySubject(this.stream);
    this.unlistenErrors = this.connection.onError((error) => {
      if (/permission/i.test(error.message) && error.message.includes(STREAM_ADVISORY_PREFIX)) {
        this.denied(error.message);
      }
    });
    this.subscription = this.nc.subscribe(subject, {
      callback: (error, msg) => {
        if (error) {
          this.denied(error.message);
          return;
        }
        this.received(msg);
      },
    });
  }

  /** Unsubscribes. Idempotent. */
  close(): void {
    this.unlistenErrors?.();
    this.unlistenErrors = undefined;
    this.subscription?.unsubscribe();
    this.subscription = undefined;
  }

  private received(msg: Msg): void {
    this.accessState = "receiving";
    const event = msg.subject.slice(STREAM_ADVISORY_PREFIX.length + 1).split(".")[0] ?? "";
    let leader: string | undefined;
    if (event === "LEADER_ELECTED") {
      try {
        const body = msg.json<{ leader?: unknown }>();
        if (typeof body.leader === "string" && body.leader !== "") leader = body.leader;
      } catch {
        // An advisory we cannot read is still a reason to look.
      }
    }
    this.logger.debug({ stream: this.stream, event, leader }, "stream advisory");
    this.onAdvisory(leader === undefined ? { event } : { event, leader });
  }

  private denied(detail: string): void {
    if (this.accessState === "denied") return;
    this.accessState = "denied";
    this.deniedDetail = detail;
    this.logger.warn(
      { stream: this.stream, detail },
      `not allowed to subscribe to ${streamAdvisorySubject(this.stream)}: replicas find leader changes and a recreated bucket only on their slow fallback check (grant it to notice them within seconds)`,
    );
  }
}
