// The status bus of the memory backend: in-process, one channel per prefix, so hosts sharing a memory store
// in one process (tests, demos) can be audited like real ones — requests and answers go through the same
// responder and intake as on a real wire (JSON text, bounds, signatures).
import type { HostStatusReport } from "../status/host-status-report.js";
import type { StatusBus } from "../status/status-bus.js";
import type { StatusChannelContext } from "../status/status-channel-context.js";
import { type GatheredStatus, StatusIntake } from "../status/status-intake.js";
import { encodeStatusRequest, newStatusRequest } from "../status/status-request.js";
import { StatusResponder } from "../status/status-responder.js";

/** A host on a channel: answers a request's text, or undefined when it refuses it. */
type Listener = (request: string) => string | undefined;

const channels = new Map<string, Set<Listener>>();

/** An in-process {@link StatusBus}. */
export class MemoryStatusBus implements StatusBus {
  readonly channel: string;
  private served: Listener | undefined;

  constructor(
    private readonly prefix: string,
    private readonly context: StatusChannelContext,
  ) {
    this.channel = `in-process channel ${prefix}`;
  }

  async serve(report: () => HostStatusReport): Promise<void> {
    await this.close();
    let listeners = channels.get(this.prefix);
    if (!listeners) {
      listeners = new Set();
      channels.set(this.prefix, listeners);
    }
    const responder = new StatusResponder("memory", this.context, report);
    const listener: Listener = (text) => {
      const request = responder.request(text);
      return request && responder.answer(request);
    };
    this.served = listener;
    listeners.add(listener);
  }

  /** Every in-process host answers synchronously, so there is nothing to wait for. */
  async gather(_windowMs: number): Promise<GatheredStatus> {
    const request = newStatusRequest(null);
    const intake = new StatusIntake("memory", this.context, request.nonce);
    const text = encodeStatusRequest(request);
    for (const listener of channels.get(this.prefix) ?? []) {
      const answer = listener(text);
      if (answer !== undefined) intake.offer(answer);
    }
    return intake.result();
  }

  async close(): Promise<void> {
    if (this.served) channels.get(this.prefix)?.delete(this.served);
    this.served = undefined;
  }
}
