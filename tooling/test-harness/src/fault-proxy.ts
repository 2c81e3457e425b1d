import { connect, createServer, type Server, type Socket } from "node:net";
import { trackResource, untrackResource } from "./cleanup-registry.js";
import { LOOPBACK } from "./free-port.js";

/**
 * How a {@link FaultProxyHandle} treats traffic:
 * - `pass`: bytes are forwarded both ways;
 * - `drop`: all current connections are destroyed and new ones are closed right after accept;
 * - `blackhole`: sockets stay open but every byte (and every close) is silently discarded both ways; new
 *   connections are accepted and blackholed too. This is a network partition as clients see it.
 */
export type FaultMode = "pass" | "drop" | "blackhole";

/** Options for {@link startFaultProxy}. */
export interface FaultProxyOptions {
  /** Where traffic goes (host defaults to 127.0.0.1). */
  target: { host?: string; port: number };
  /** Port to listen on at 127.0.0.1 (default: any free port). */
  listenPort?: number;
}

/** A TCP proxy whose behaviour can be switched at runtime to inject network faults. */
export interface FaultProxyHandle {
  /** The port the proxy listens on (127.0.0.1). */
  readonly port: number;
  /** `<scheme>://127.0.0.1:<port>`; scheme defaults to `tcp`, e.g. `url("nats")`. */
  url(scheme?: string): string;
  /** The current mode. */
  readonly mode: FaultMode;
  /** Switches the mode; takes effect immediately for current and future connections. */
  setMode(mode: FaultMode): void;
  /** Number of client connections currently open through the proxy. */
  connections(): number;
  /** Stops listening and destroys every connection; idempotent. */
  close(): Promise<void>;
}

/** One client connection and (once connected in pass mode) its upstream connection to the target. */
interface Link {
  readonly client: Socket;
  upstream: Socket | undefined;
  /** A side closed while blackholed; the close is delivered (by tearing the link down) on heal. */
  clientGone: boolean;
  upstreamGone: boolean;
}

class FaultProxy implements FaultProxyHandle {
  readonly port: number;
  readonly #server: Server;
  readonly #target: { host: string; port: number };
  readonly #links = new Set<Link>();
  #mode: FaultMode = "pass";
  #closed: Promise<void> | undefined;

  constructor(server: Server, port: number, target: { host: string; port: number }) {
    this.#server = server;
    this.port = port;
    this.#target = target;
    server.on("connection", (client) => this.#accept(client));
  }

  get mode(): FaultMode {
    return this.#mode;
  }

  url(scheme = "tcp"): string {
    return `${scheme}://127.0.0.1:${this.port}`;
  }

  connections(): number {
    let open = 0;
    for (const link of this.#links) {
      if (!link.clientGone) {
        open++;
      }
    }
    return open;
  }

  setMode(mode: FaultMode): void {
    this.#mode = mode;
    for (const link of [...this.#links]) {
      if (mode === "drop") {
        this.#teardown(link);
      } else if (mode === "blackhole") {
        // Sources paused for back-pressure must keep flowing so their bytes are discarded.
        link.client.resume();
        link.upstream?.resume();
      } else if (link.clientGone || link.upstreamGone) {
        this.#teardown(link);
      } else if (link.upstream === undefined) {
        this.#connectUpstream(link);
      }
    }
  }

  #accept(client: Socket): void {
    if (this.#mode === "drop" || this.#closed !== undefined) {
      client.destroy();
      return;
    }
    const link: Link = { client, upstream: undefined, clientGone: false, upstreamGone: false };
    this.#links.add(link);
    client.on("error", () => {});
    client.on("data", (data: Buffer) => this.#forward(client, link.upstream, data));
    client.on("end", () => {
      if (this.#mode === "pass") {
        link.upstream?.end();
      }
    });
    client.on("close", () => {
      if (this.#mode === "blackhole" && this.#links.has(link)) {
        link.clientGone = true;
      } else {
        this.#teardown(link);
      }
    });
    if (this.#mode === "pass") {
      this.#connectUpstream(link);
    }
  }

  #connectUpstream(link: Link): void {
    const upstream = connect({ host: this.#target.host, port: this.#target.port });
    link.upstream = upstream;
    upstream.on("error", () => {});
    upstream.on("data", (data: Buffer) => this.#forward(upstream, link.client, data));
    upstream.on("end", () => {
      if (this.#mode === "pass") {
        link.client.end();
      }
    });
    upstream.on("close", () => {
      if (this.#mode === "blackhole" && this.#links.has(link)) {
        link.upstreamGone = true;
      } else {
        this.#teardown(link);
      }
    });
  }

  #forward(source: Socket, destination: Socket | undefined, data: Buffer): void {
    if (this.#mode !== "pass" || destination === undefined || destination.destroyed) {
      return; // blackholed (or nowhere to go): discard silently
    }
    if (!destination.write(data)) {
      source.pause();
      destination.once("drain", () => source.resume());
    }
  }

  #teardown(link: Link): void {
    this.#links.delete(link);
    link.client.destroy();
    link.upstream?.destroy();
  }

  close(): Promise<void> {
    if (this.#closed === undefined) {
      untrackResource(this);
      this.#closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
      for (const link of [...this.#links]) {
        this.#teardown(link);
      }
    }
    return this.#closed;
  }

  dispose(): Promise<void> {
    return this.close();
  }
}

/**
 * Starts a TCP proxy on 127.0.0.1 forwarding to `target`, initially in `pass` mode. Put it between a
 * client and a server to simulate connection drops and partitions with {@link FaultProxyHandle.setMode}.
 */
export function startFaultProxy(opts: FaultProxyOptions): Promise<FaultProxyHandle> {
  const target = { host: opts.target.host ?? LOOPBACK, port: opts.target.port };
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ host: LOOPBACK, port: opts.listenPort ?? 0 }, () => {
      server.removeListener("error", reject);
      server.unref();
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      const proxy = new FaultProxy(server, port, target);
      trackResource(proxy);
      resolve(proxy);
    });
  });
}
