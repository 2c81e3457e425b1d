// Marker writes: a fresh claim written around lattice-cache by a raw client (nats.js, node-postgres), retried
// until the server takes it and recorded in the workload, so a scenario can wait until every replica has the
// first write made after a fault.
import { claimsCodec } from "@lattice-cache/core";
import type { Workload } from "./workload.test-helpers.js";

/** Stores `bytes` under the storage key `key` and resolves with the revision the server gave it. */
export type RawPut = (key: string, bytes: Uint8Array) => Promise<number>;

let markers = 0;

/**
 * Writes a fresh marker claim with `put` (retrying every 200 ms for up to `timeoutMs` while the server does
 * not take it) and records it in `workload` as acknowledged; each failed try is recorded as a write whose
 * outcome is unknown. Resolves with the revision and when it was acknowledged.
 */
export async function writeMarkerWith(
  put: RawPut,
  workload: Workload,
  timeoutMs = 60_000,
): Promise<{ revision: number; ackedAt: number }> {
  markers += 1;
  const value = claimsCodec.parse({ sub: `MMARKER${markers}`, name: `marker ${markers}` });
  const key = `CLAIMS_${value.sub}`;
  const text = JSON.stringify(value);
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const revision = await put(key, claimsCodec.encode(value));
      const ackedAt = Date.now();
      workload.recordAck({ key, revision, text, ackedAt, host: "raw-marker" });
      return { revision, ackedAt };
    } catch (error) {
      lastError = error;
      workload.recordUnknown(key, text);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error(`marker write did not succeed within ${timeoutMs} ms: ${String(lastError)}`);
}
