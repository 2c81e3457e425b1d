// Measures staleness the way a user feels it: a raw client writes a marker every half second (retrying
// through elections), and for every observer (a replica, a raw kv.watch) the probe records how long after
// each marker's acknowledgement the observer had it. The longest of those delays is how long the observer
// stayed behind.

import { claimsCodec } from "@lattice-cache/core";
import type { KV } from "@nats-io/kv";
import type { Workload } from "./workload.test-helpers.js";

/** Something whose progress can be read: the highest revision it has applied or delivered. */
export interface LagObserver {
  readonly label: string;
  revision(): number;
}

interface Marker {
  readonly revision: number;
  readonly ackedAt: number;
  /** Observer label → ms from acknowledgement to first seen. */
  readonly seenAfter: Map<string, number>;
}

/** What one observer went through. */
export interface ObserverLag {
  /** The longest delay between a marker's acknowledgement and the observer having it (ms). */
  readonly maxLagMs: number;
  /** Markers the observer never got before the probe stopped. */
  readonly missing: number;
}

/** Periodic markers and the delay until each observer has them. */
export class LagProbe {
  private readonly markers: Marker[] = [];
  private running = false;
  private writer: Promise<void> | undefined;
  private readonly poller: NodeJS.Timeout;
  private written = 0;

  constructor(
    private readonly kv: KV,
    private readonly observers: readonly LagObserver[],
    private readonly workload: Workload,
    private readonly intervalMs = 500,
  ) {
    this.poller = setInterval(() => this.poll(), 50);
  }

  /** Starts writing markers. */
  start(): void {
    this.running = true;
    this.writer = this.writeLoop();
  }

  /** Stops writing markers (observers keep being polled until `close`). */
  async stopWriting(): Promise<void> {
    this.running = false;
    await this.writer;
  }

  /** The first marker acknowledged at or after `time`. */
  firstMarkerAfter(time: number): { revision: number; ackedAt: number } | undefined {
    return this.markers.find((m) => m.ackedAt >= time);
  }

  /** Resolves once `label` has every marker acknowledged so far (or after `timeoutMs`: false). */
  async caughtUp(label: string, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      this.poll();
      if (this.markers.every((m) => m.seenAfter.has(label))) return true;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return false;
  }

  /** The lag figures of one observer; unseen markers count with their age so far. */
  lag(label: string): ObserverLag {
    this.poll();
    const now = Date.now();
    let maxLagMs = 0;
    let missing = 0;
    for (const marker of this.markers) {
      const seen = marker.seenAfter.get(label);
      if (seen === undefined) missing++;
      maxLagMs = Math.max(maxLagMs, seen ?? now - marker.ackedAt);
    }
    return { maxLagMs, missing };
  }

  /** Stops everything. */
  async close(): Promise<void> {
    await this.stopWriting();
    clearInterval(this.poller);
  }

  private poll(): void {
    const now = Date.now();
    for (const observer of this.observers) {
      const revision = observer.revision();
      for (const marker of this.markers) {
        if (revision >= marker.revision && !marker.seenAfter.has(observer.label)) {
          marker.seenAfter.set(observer.label, now - marker.ackedAt);
        }
      }
    }
  }

  private async writeLoop(): Promise<void> {
    while (this.running) {
      this.written += 1;
      const value = claimsCodec.parse({ sub: `MPROBE${this.written}`, name: "lag probe" });
      const key = `CLAIMS_${value.sub}`;
      const text = JSON.stringify(value);
      try {
        const revision = await this.kv.put(key, claimsCodec.encode(value), { timeout: 2_000 });
        const ackedAt = Date.now();
        this.workload.recordAck({ key, revision, text, ackedAt, host: "lag-probe" });
        this.markers.push({ revision, ackedAt, seenAfter: new Map() });
        this.poll();
      } catch {
        this.workload.recordUnknown(key, text);
      }
      await new Promise((resolve) => setTimeout(resolve, this.intervalMs));
    }
  }
}
