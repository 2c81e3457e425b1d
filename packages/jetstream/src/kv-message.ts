// How one stored KV message becomes a BackendEntry: delete and purge markers are tombstones, the origin
// comes from our own header (absent on entries written by wasmCloud hosts). For the history proof the write
// id (`Nats-Msg-Id`) goes with it.
import type { DeliveredChange } from "@lattice-cache/core/backend";
import type { MsgHdrs } from "@nats-io/nats-core";
import type { BucketLayout } from "./bucket-layout.js";

/** Headers of the KV layout and of this backend. */
export const HEADERS = {
  /** `DEL` or `PURGE` on a delete / purge marker (set by every KV client). */
  operation: "KV-Operation",
  /** Set by servers ≥ 2.11 on markers they write themselves (TTL expiry): also a deletion. */
  markerReason: "Nats-Marker-Reason",
  /** The writing host's id; our addition, ignored by other KV clients. */
  origin: "Lattice-Origin",
  /** Idempotency key of one logical write: a retried publish is deduplicated by the stream. */
  messageId: "Nats-Msg-Id",
  /** Compare-and-swap on the key's last revision. */
  expectedLastSubjectSequence: "Nats-Expected-Last-Subject-Sequence",
} as const;

/** True when the headers mark a deletion (`KV-Operation: DEL` or `PURGE`, or a server marker). */
export function isTombstone(headers: MsgHdrs | undefined): boolean {
  if (!headers) return false;
  const op = headers.get(HEADERS.operation);
  if (op === "DEL" || op === "PURGE") return true;
  return headers.has(HEADERS.markerReason);
}

/**
 * The entry a stored message stands for, or `undefined` if its subject is outside the bucket. `writtenAt`
 * is when the server stored it (ms since the epoch), when the delivery says. It carries the write id
 * (`Nats-Msg-Id`, absent on writes of other KV clients) too, so the same object is both the sink's entry and
 * what core's history proof remembers: a stream that later holds another key, operation, writer, write id or
 * bytes at that sequence was rewritten (core's `rewriteOf`). One object per message, built in place.
 */
export function toBackendEntry(
  layout: BucketLayout,
  subject: string,
  revision: number,
  headers: MsgHdrs | undefined,
  data: Uint8Array,
  writtenAt?: number,
): DeliveredChange | undefined {
  const key = layout.keyOf(subject);
  if (key === undefined) return undefined;
  const entry: { -readonly [K in keyof DeliveredChange]: DeliveredChange[K] } = {
    key,
    value: isTombstone(headers) ? null : data,
    revision,
  };
  if (headers !== undefined) {
    const origin = headers.get(HEADERS.origin);
    if (origin) entry.origin = origin;
    const writeId = headers.get(HEADERS.messageId);
    if (writeId) entry.writeId = writeId;
  }
  if (writtenAt !== undefined) entry.writtenAt = writtenAt;
  return entry;
}
