// A key's last stored message, read from the stream (a direct get from any replica when the bucket allows
// it, else through the stream leader): what a writer checks after a refused conditional write, and what
// `JetStreamBackend.read` returns as an entry.
import { type BackendEntry, errorText } from "@lattice-cache/core/backend";
import type { JetStreamManager, StoredMsg } from "@nats-io/jetstream";
import type { BucketLayout } from "./bucket-layout.js";
import { toBackendEntry } from "./kv-message.js";

/** Where a key's last message is read from. */
export interface LastMessageSource {
  readonly jsm: JetStreamManager;
  readonly layout: BucketLayout;
  /** Whether the bucket allows direct gets. */
  readonly allowDirect: () => boolean;
}

/** The key's last stored message, or null when the stream holds none under it. Throws the client's errors. */
export async function readLastMessage(source: LastMessageSource, key: string): Promise<StoredMsg | null> {
  const { jsm, layout } = source;
  const subject = layout.keySubject(key);
  if (source.allowDirect()) return jsm.direct.getMessage(layout.stream, { last_by_subj: subject });
  try {
    return await jsm.streams.getMessage(layout.stream, { last_by_subj: subject });
  } catch (error) {
    if (/no message found/i.test(errorText(error))) return null;
    throw error;
  }
}

/** The key's last stored message as an entry (a delete or purge marker as a tombstone), with its write time. */
export async function readLastEntry(
  source: LastMessageSource,
  key: string,
): Promise<BackendEntry | undefined> {
  const stored = await readLastMessage(source, key);
  if (!stored) return undefined;
  return toBackendEntry(
    source.layout,
    stored.subject,
    stored.seq,
    stored.header,
    stored.data,
    stored.time.getTime(),
  );
}
