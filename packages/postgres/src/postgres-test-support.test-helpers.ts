// Shared test support: unique prefixes, short timeouts, URLs through a fault proxy, a feed recorder.
import { randomBytes } from "node:crypto";
import type { BackendEntry, BackendHead, FeedSink } from "@lattice-cache/core/backend";
import { waitFor } from "@lattice-cache/test-harness";
import type { PostgresBackendOptions } from "./postgres-backend-options.js";

/**
 * Short timeouts, feed waits and reconnect pauses, so tests notice a lost history or a silent partition
 * quickly (a silent write fails after queryTimeoutMs).
 */
export const TEST_TUNING = {
  feedWaitMs: 1_000,
  statementTimeoutMs: 1_500,
  queryTimeoutMs: 2_000,
  connectTimeoutMs: 5_000,
  maxReconnectDelayMs: 200,
} as const satisfies PostgresBackendOptions;

/** A prefix no other test uses. */
export function uniquePrefix(label = "t"): string {
  return `${label}-${randomBytes(5).toString("hex")}`;
}

/** `url` (with its credentials and database) pointed at another port on 127.0.0.1, e.g. a fault proxy's. */
export function urlThrough(url: string, to: { readonly port: number }): string {
  const parsed = new URL(url);
  parsed.hostname = "127.0.0.1";
  parsed.port = String(to.port);
  return parsed.toString();
}

/** Records what a feed delivers. */
export class FeedLog implements FeedSink {
  readonly entries: BackendEntry[] = [];
  readonly heads: BackendHead[] = [];
  readonly gaps: string[] = [];
  readonly connections: Array<{ connected: boolean; detail: string | undefined }> = [];

  entry(entry: BackendEntry): void {
    this.entries.push(entry);
  }

  synced(head: BackendHead): void {
    this.heads.push(head);
  }

  gap(reason: string): void {
    this.gaps.push(reason);
  }

  connection(connected: boolean, detail?: string): void {
    this.connections.push({ connected, detail });
  }
}

/** The bytes of a JSON value, as core would encode it. */
export function jsonBytes(value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value));
}

/** Polls `check` every 20 ms until it holds; fails naming `what` after 20 s. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  await waitFor(check, { what, intervalMs: 20 });
}
