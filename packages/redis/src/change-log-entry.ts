// One entry of the change-log stream: XADD id `<revision>-0`, fields op/key/revision/origin/epoch[/value].
import type { BackendEntry } from "@lattice-cache/core/backend";

/** A change-log entry with the epoch it was written in. */
export interface ChangeLogEntry extends BackendEntry {
  /** The epoch (history id) the write happened in; a different one than the feed's means lost history. */
  readonly epoch: string;
}

/** The revision a stream id stands for (`<revision>-0`), or NaN for a foreign id. */
export function revisionOfStreamId(id: string): number {
  const dash = id.indexOf("-");
  return Number(dash < 0 ? id : id.slice(0, dash));
}

/**
 * Decodes one stream entry as XREAD/XRANGE return it in Buffer mode. Throws `TypeError` when the entry
 * was not written by the lattice write script.
 */
export function decodeChangeLogEntry(id: Buffer | string, fields: readonly Buffer[]): ChangeLogEntry {
  const idText = id.toString();
  const revision = revisionOfStreamId(idText);
  let op: string | undefined;
  let key: string | undefined;
  let origin: string | undefined;
  let epoch = "";
  let value: Uint8Array | null = null;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const name = (fields[i] as Buffer).toString("latin1");
    const data = fields[i + 1] as Buffer;
    if (name === "op") op = data.toString("latin1");
    else if (name === "key") key = data.toString("utf8");
    else if (name === "origin") origin = data.toString("utf8");
    else if (name === "epoch") epoch = data.toString("utf8");
    else if (name === "value") value = new Uint8Array(data);
  }
  if (
    !Number.isSafeInteger(revision) ||
    revision <= 0 ||
    key === undefined ||
    (op !== "put" && op !== "del")
  ) {
    throw new TypeError(`change-log entry ${idText} is not a lattice change`);
  }
  if (op === "put" && value === null) value = new Uint8Array(0);
  if (op === "del") value = null;
  return origin === undefined ? { key, value, revision, epoch } : { key, value, revision, origin, epoch };
}
