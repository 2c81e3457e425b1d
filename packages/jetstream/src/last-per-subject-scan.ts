// One pass over a bucket's keys, headers only: an ephemeral push consumer with `deliver_policy:
// last_per_subject` and `headers_only: true` hands over each key's last message — its subject, sequence,
// headers and storage time, never its value — and is deleted afterwards. What nats.js `purgeDeletes` reads
// (with its full history and values), at a fraction of the bytes; the same consumer permissions as a feed.
import { BackendUnavailableError } from "@lattice-cache/core/backend";
import type { ConsumerConfig, JetStreamManager } from "@nats-io/jetstream";
import { createInbox, type Msg, type MsgHdrs, type NatsConnection, nanos, nuid } from "@nats-io/nats-core";
import type { BucketLayout } from "./bucket-layout.js";
import { parseDeliveryInfo } from "./delivery-info.js";

/** One key's last message, as the scan sees it. */
export interface ScannedMessage {
  /** The storage key. */
  readonly key: string;
  /** The message's stream sequence: the key's revision. */
  readonly revision: number;
  /** Its headers (`KV-Operation` on a delete or purge marker). */
  readonly headers: MsgHdrs | undefined;
  /** When the server stored it (ms since the epoch), when the delivery says. */
  readonly storedAt: number | undefined;
}

/** What a scan needs. */
export interface ScanSource {
  readonly nc: NatsConnection;
  readonly jsm: JetStreamManager;
  readonly layout: BucketLayout;
  /** The consumer's idle heartbeat; three missed (at least 5 s) end the scan as unavailable. */
  readonly heartbeatMs: number;
}

/**
 * Hands every key's last message to `visit`, in stream order, and resolves when the consumer has delivered
 * them all ("0 pending", or an idle heartbeat). Rejects with what creating the consumer threw, or with
 * `BackendUnavailableError` when the consumer falls silent.
 */
export function scanLastPerSubject(
  source: ScanSource,
  visit: (message: ScannedMessage) => void,
): Promise<void> {
  const { nc, jsm, layout } = source;
  const inbox = createInbox();
  const name = `lattice_compact_${nuid.next()}`;
  const silenceMs = Math.max(5_000, source.heartbeatMs * 3);
  return new Promise<void>((resolve, reject) => {
    let done = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (error?: unknown) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      subscription.unsubscribe();
      jsm.consumers.delete(layout.stream, name).catch(() => {});
      if (error === undefined) resolve();
      else reject(error);
    };
    const alive = () => {
      clearTimeout(timer);
      timer = setTimeout(
        () =>
          finish(
            new BackendUnavailableError(
              "jetstream",
              `scanning ${layout.bucket}: nothing from the scan's consumer for ${silenceMs} ms`,
            ),
          ),
        silenceMs,
      );
    };
    const onStatus = (msg: Msg) => {
      const code = msg.headers?.code ?? 0;
      const description = (msg.headers?.description ?? "").toLowerCase();
      if (code === 100 && description.includes("flow")) {
        if (msg.reply) msg.respond();
      } else if (code === 100) {
        const stalled = msg.headers?.get("Nats-Consumer-Stalled");
        if (stalled) nc.publish(stalled);
        // An idle heartbeat: the consumer has nothing more to deliver.
        else finish();
      } else if (code >= 400) {
        finish(
          new BackendUnavailableError(
            "jetstream",
            `scanning ${layout.bucket}: consumer status ${code} ${description}`,
          ),
        );
      }
    };
    const subscription = nc.subscribe(inbox, {
      callback: (error, msg) => {
        if (done) return;
        if (error) return finish(error);
        alive();
        if (msg.subject === inbox) return onStatus(msg);
        const delivery = parseDeliveryInfo(msg.reply);
        const key = layout.keyOf(msg.subject);
        if (delivery === undefined) return;
        try {
          if (key !== undefined) {
            visit({
              key,
              revision: delivery.streamSequence,
              headers: msg.headers,
              storedAt: delivery.storedAt,
            });
          }
        } catch (thrown) {
          return finish(thrown);
        }
        if (delivery.pending === 0) finish();
      },
    });
    const config: Partial<ConsumerConfig> = {
      name,
      deliver_subject: inbox,
      filter_subject: layout.filterSubject,
      deliver_policy: "last_per_subject",
      headers_only: true,
      ack_policy: "none",
      replay_policy: "instant",
      flow_control: true,
      idle_heartbeat: nanos(source.heartbeatMs),
      mem_storage: true,
      num_replicas: 1,
      inactive_threshold: nanos(Math.max(30_000, silenceMs * 2)),
    };
    alive();
    jsm.consumers.add(layout.stream, config).then(
      (info) => {
        // An empty bucket: nothing was, or will be, delivered.
        if (info.num_pending === 0 && info.delivered.consumer_seq === 0) finish();
      },
      (error: unknown) => finish(error),
    );
  });
}
