// The fault proxies of one conformance store: each connection a store makes reaches its servers through
// proxies of its own, so a test can cut one connection or partition them all.
import { type FaultMode, type FaultProxyHandle, startFaultProxy } from "./fault-proxy.js";

/** One connection's proxies (one per server it talks to), and whether that connection is cut off. */
interface Link {
  readonly proxies: readonly FaultProxyHandle[];
  cut: boolean;
}

/** A store's fault hooks, in the shape of a conformance backdoor's (`@lattice-cache/conformance`). */
export interface StoreFaultSwitches<C> {
  /** Cuts (`true`) or restores one connection. Synchronous up to the returned promise. */
  interruptFeed(connection: C, cut: boolean): Promise<void>;
  /** Partitions every connection: refused. */
  disconnect(): Promise<void>;
  /** Partitions every connection: silent. */
  blackhole(): Promise<void>;
  /** Heals the partition. */
  reconnect(): Promise<void>;
}

/**
 * The fault proxies of one store, their own for each connection (e.g. a backend): the store's partition
 * (`pass`, `drop`, `blackhole`) applies to all of them, a connection's cut (`drop`) to its own only.
 */
export class StoreProxies<C extends object> {
  private partition: FaultMode = "pass";
  private readonly links = new Map<C, Link>();

  /** @param ports - the servers' ports: every connection gets a proxy to each, in this order */
  constructor(private readonly ports: readonly number[]) {}

  /** New proxies for `make`'s connection, in the store's current partition. */
  async connect(make: (proxies: readonly FaultProxyHandle[]) => C): Promise<C> {
    const proxies = await Promise.all(this.ports.map((port) => startFaultProxy({ target: { port } })));
    const connection = make(proxies);
    const link = { proxies, cut: false };
    this.links.set(connection, link);
    this.apply(link);
    return connection;
  }

  /** Cuts or restores one connection's proxies, synchronously. */
  interrupt(connection: C, cut: boolean): void {
    const link = this.links.get(connection);
    if (link === undefined) throw new Error("interruptFeed needs a backend made by this store's connect()");
    link.cut = cut;
    this.apply(link);
  }

  /**
   * Partitions every connection (`drop`, `blackhole`) or heals (`pass`). The bytes a blackhole swallowed
   * cannot arrive late, as TCP would deliver them: healing drops its connections (as the clients' own
   * timeouts would have) rather than resume replies out of step with their requests.
   */
  setPartition(mode: FaultMode): void {
    for (const proxy of this.proxies()) {
      if (mode === "pass" && proxy.mode === "blackhole") proxy.setMode("drop");
    }
    this.partition = mode;
    for (const link of this.links.values()) this.apply(link);
  }

  /** The store's fault hooks, for its conformance backdoor. */
  faultSwitches(): StoreFaultSwitches<C> {
    return {
      // Synchronous up to the returned promise: a feed sink may call it mid-delivery.
      interruptFeed: async (connection, cut) => this.interrupt(connection, cut),
      disconnect: async () => this.setPartition("drop"),
      blackhole: async () => this.setPartition("blackhole"),
      reconnect: async () => this.setPartition("pass"),
    };
  }

  /** Closes every proxy. */
  async close(): Promise<void> {
    await Promise.all(this.proxies().map((proxy) => proxy.close()));
  }

  private proxies(): FaultProxyHandle[] {
    return [...this.links.values()].flatMap((link) => link.proxies);
  }

  private apply(link: Link): void {
    const mode = this.partition !== "pass" ? this.partition : link.cut ? "drop" : "pass";
    for (const proxy of link.proxies) if (proxy.mode !== mode) proxy.setMode(mode);
  }
}
