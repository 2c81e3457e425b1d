// The status bus of the memory backend: in-process, one channel per prefix, so hosts sharing a memory store
// in one process (tests, demos) can be audited like real ones.
import type { HostStatusReport } from "./host-status-report.js";
import type { StatusBus } from "./status-bus.js";

const channels = new Map<string, Set<() => HostStatusReport>>();

/** An in-process {@link StatusBus}; answers are JSON round-tripped, as on a real wire. */
export class MemoryStatusBus implements StatusBus {
  readonly channel: string;
  private served: (() => HostStatusReport) | undefined;

  constructor(private readonly prefix: string) {
    this.channel = `in-process channel ${prefix}`;
  }

  async serve(report: () => HostStatusReport): Promise<void> {
    await this.close();
    let listeners = channels.get(this.prefix);
    if (!listeners) {
      listeners = new Set();
      channels.set(this.prefix, listeners);
    }
    this.served = report;
    listeners.add(report);
  }

  /** Every in-process host answers synchronously, so there is nothing to wait for. */
  async gather(_windowMs: number): Promise<string[]> {
    return [...(channels.get(this.prefix) ?? [])].map((report) => JSON.stringify(report()));
  }

  async close(): Promise<void> {
    if (this.served) channels.get(this.prefix)?.delete(this.served);
    this.served = undefined;
  }
}
