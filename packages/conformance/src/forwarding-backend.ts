// The base of the suite's backend wrappers (feed taps, lag, deliberately broken backends): everything
// forwarded to the wrapped backend, so a wrapper overrides only what it changes.
import type {
  BackendHead,
  FeedPosition,
  FeedSink,
  FeedSubscription,
  LatticeBackend,
  WriteRequest,
  WriteResult,
} from "@lattice-cache/core/backend";

/** A `LatticeBackend` that forwards every call to `inner`. */
export class ForwardingBackend<B extends LatticeBackend = LatticeBackend> implements LatticeBackend {
  constructor(readonly inner: B) {}

  get specificationVersion(): LatticeBackend["specificationVersion"] {
    return this.inner.specificationVersion;
  }

  get name(): string {
    return this.inner.name;
  }

  get capabilities(): LatticeBackend["capabilities"] {
    return this.inner.capabilities;
  }

  open(): Promise<void> {
    return this.inner.open();
  }

  subscribe(from: FeedPosition, sink: FeedSink): FeedSubscription {
    return this.inner.subscribe(from, sink);
  }

  write(request: WriteRequest): Promise<WriteResult> {
    return this.inner.write(request);
  }

  head(): Promise<BackendHead> {
    return this.inner.head();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  describe(): Readonly<Record<string, unknown>> {
    return this.inner.describe?.() ?? {};
  }
}
