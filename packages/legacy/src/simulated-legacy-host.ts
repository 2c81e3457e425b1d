// A testing aid: an old (generation-1) wasmCloud host's lattice cache, written from the wire format alone —
// in-memory maps, MessagePack broadcasts, start-up `.get`s, answers to `.get`s — and nothing of this project.
import { decode, encode } from "@msgpack/msgpack";
import { Empty, type Msg, type NatsConnection, type Subscription } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { DEFAULT_LATTICE_PREFIX } from "./legacy-subjects.js";

/** A link definition as old hosts broadcast it (no `id`). */
export interface WireLinkDefinition {
  actor_id: string;
  provider_id: string;
  link_name: string;
  contract_id: string;
  values: Record<string, string>;
}

/** Claims as old hosts broadcast them (comma-joined lists, string `rev`). */
export interface WireClaims {
  call_alias: string;
  iss: string;
  name: string;
  caps: string;
  rev: string;
  tags: string;
  version: string;
  sub: string;
}

/** An OCI reference map as old hosts broadcast it. */
export interface WireReferenceMap {
  oci_url: string;
  public_key: string;
}

/** Options of `SimulatedLegacyHost.start`. */
export interface SimulatedLegacyHostOptions {
  /** NATS server URL(s) (a fault proxy's URL works: the host reconnects forever). */
  readonly servers: string | readonly string[];
  /** The lattice prefix. Default `"default"`. */
  readonly prefix?: string;
  /** A name for logs and the NATS connection. Default `old-host`. */
  readonly name?: string;
  /** Timeout of each start-up `.get`; the host begins empty on timeout. Default 2000 ms, as old hosts. */
  readonly getTimeoutMs?: number;
  /** NATS ping interval; lower it to notice a blackholed connection sooner. Default 2 min (the client's). */
  readonly pingIntervalMs?: number;
}

/** What a simulated host has seen. */
export interface SimulatedLegacyHostCounters {
  /** Puts/dels it applied from the wire (its own echoes included, as old hosts heard them). */
  received: number;
  /** Messages it could not decode and ignored. */
  undecodable: number;
  /** `.get` requests it answered. */
  answeredGets: number;
  /** Start-up `.get`s that got an answer. */
  startupReplies: number;
}

type Kind = "claims" | "refmaps" | "linkdefs";
const KINDS: readonly Kind[] = ["claims", "refmaps", "linkdefs"];

/**
 * An old wasmCloud host's lattice cache, for tests of mixed fleets. It keeps its state in memory only
 * (a restart begins empty and asks the lattice), hears every broadcast (no `noEcho`), answers `.get`s in
 * the queue groups named by their subjects, and loses whatever it misses — exactly the generation-1
 * behaviour. It never looks at headers and knows nothing of this project.
 *
 * ```ts
 * const old = await SimulatedLegacyHost.start({ servers: nats.url, prefix: "default" });
 * old.putLinkdef({ actor_id: "Mbob", provider_id: "Vhttp", contract_id: "wasmcloud:httpserver" });
 * ```
 */
export class SimulatedLegacyHost {
  /** Its name. */
  readonly name: string;
  /** What it has seen. */
  readonly counters: SimulatedLegacyHostCounters = {
    received: 0,
    undecodable: 0,
    answeredGets: 0,
    startupReplies: 0,
  };

  private readonly options: SimulatedLegacyHostOptions;
  private readonly prefix: string;
  private nc: NatsConnection | undefined;
  private subscriptions: Subscription[] = [];
  private claimsBySub = new Map<string, Record<string, unknown>>();
  private refmapsByUrl = new Map<string, Record<string, unknown>>();
  private linkdefsByKey = new Map<string, Record<string, unknown>>();

  private constructor(options: SimulatedLegacyHostOptions) {
    this.options = options;
    this.prefix = options.prefix ?? DEFAULT_LATTICE_PREFIX;
    this.name = options.name ?? "old-host";
  }

  /** Starts a host: connects, subscribes, asks the three `.get`s (begin empty on timeout), then answers `.get`s. */
  static async start(options: SimulatedLegacyHostOptions): Promise<SimulatedLegacyHost> {
    const host = new SimulatedLegacyHost(options);
    await host.boot();
    return host;
  }

  /** True while it runs. */
  get running(): boolean {
    return this.nc !== undefined && !this.nc.isClosed();
  }

  /** Caches and broadcasts claims on `claims.put`. */
  putClaims(claims: Partial<WireClaims> & { sub: string }): void {
    const value: WireClaims = {
      call_alias: "",
      iss: "",
      name: "",
      caps: "",
      rev: "0",
      tags: "",
      version: "",
      ...claims,
    };
    this.claimsBySub.set(value.sub, { ...value });
    this.publish(`${this.base}.claims.put`, value);
  }

  /** Caches and broadcasts a reference map on `refmaps.put`. */
  putRefmap(refmap: WireReferenceMap): void {
    this.refmapsByUrl.set(refmap.oci_url, { ...refmap });
    this.publish(`${this.base}.refmaps.put`, refmap);
  }

  /** Caches and broadcasts a link definition on `linkdefs.put` and on the provider's own subject. */
  putLinkdef(
    linkdef: Omit<WireLinkDefinition, "link_name" | "values"> & {
      link_name?: string;
      values?: Record<string, string>;
    },
  ): void {
    const value: WireLinkDefinition = {
      actor_id: linkdef.actor_id,
      provider_id: linkdef.provider_id,
      link_name: linkdef.link_name ?? "default",
      contract_id: linkdef.contract_id,
      values: linkdef.values ?? {},
    };
    this.linkdefsByKey.set(linkdefKey(value), { ...value });
    this.publish(`${this.base}.linkdefs.put`, value);
    this.publish(`${this.base}.${value.provider_id}.${value.link_name}.linkdefs.put`, value);
  }

  /**
   * Deletes a link definition it knows: drops it and broadcasts the full shape on `linkdefs.del` and the
   * provider's subject. Returns false (and sends nothing) when it does not know the link, as old hosts.
   */
  deleteLinkdef(ref: { actor_id: string; contract_id: string; link_name?: string }): boolean {
    const key = linkdefKey({ ...ref, link_name: ref.link_name ?? "default" });
    const known = this.linkdefsByKey.get(key);
    if (!known) return false;
    this.linkdefsByKey.delete(key);
    this.publish(`${this.base}.linkdefs.del`, known);
    this.publish(`${this.base}.${String(known.provider_id)}.${String(known.link_name)}.linkdefs.del`, known);
    return true;
  }

  /** Its claims, by `sub`. */
  claims(): WireClaims[] {
    return sortBy([...this.claimsBySub.values()] as unknown as WireClaims[], (c) => c.sub);
  }

  /** Its reference maps, by `oci_url`. */
  refmaps(): WireReferenceMap[] {
    return sortBy([...this.refmapsByUrl.values()] as unknown as WireReferenceMap[], (r) => r.oci_url);
  }

  /** Its link definitions, by actor, contract and link name. */
  linkdefs(): WireLinkDefinition[] {
    return sortBy([...this.linkdefsByKey.values()] as unknown as WireLinkDefinition[], linkdefKey);
  }

  /** Waits until the server has everything it published. */
  async flush(): Promise<void> {
    await this.nc?.flush();
  }

  /** Shuts down: the connection closes and the in-memory state is gone with the process. */
  async stop(): Promise<void> {
    const nc = this.nc;
    this.nc = undefined;
    const subscriptions = this.subscriptions;
    this.subscriptions = [];
    if (!nc || nc.isClosed()) return;
    // Leave the .get queue groups before going: a bare close leaves a moment in which the server still
    // routes requests to this host, and they time out. The flush's round trip proves the UNSUBs arrived.
    for (const sub of subscriptions) sub.unsubscribe();
    await nc.flush().catch(() => {});
    await nc.close();
  }

  /** Stops and starts again with empty maps, asking the lattice for its state like any starting old host. */
  async restart(): Promise<void> {
    await this.stop();
    this.claimsBySub = new Map();
    this.refmapsByUrl = new Map();
    this.linkdefsByKey = new Map();
    await this.boot();
  }

  private get base(): string {
    return `wasmbus.rpc.${this.prefix}`;
  }

  private async boot(): Promise<void> {
    const servers =
      typeof this.options.servers === "string" ? [this.options.servers] : [...this.options.servers];
    const nc = await connect({
      servers,
      name: this.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
      ...(this.options.pingIntervalMs === undefined ? {} : { pingInterval: this.options.pingIntervalMs }),
    });
    this.nc = nc;
    this.subscriptions.push(
      nc.subscribe(`${this.base}.claims.put`, { callback: (_e, m) => this.hear(m, "claims", "put") }),
      nc.subscribe(`${this.base}.refmaps.put`, { callback: (_e, m) => this.hear(m, "refmaps", "put") }),
      nc.subscribe(`${this.base}.linkdefs.put`, { callback: (_e, m) => this.hear(m, "linkdefs", "put") }),
      nc.subscribe(`${this.base}.linkdefs.del`, { callback: (_e, m) => this.hear(m, "linkdefs", "del") }),
    );
    const timeout = this.options.getTimeoutMs ?? 2000;
    await Promise.all(
      KINDS.map(async (kind) => {
        try {
          const reply = await nc.request(`${this.base}.${kind}.get`, Empty, { timeout });
          const items = decode(reply.data);
          if (!Array.isArray(items)) return;
          this.counters.startupReplies += 1;
          for (const item of items) if (isRecord(item)) this.store(kind, item);
        } catch {
          // Timeout, no responders or garbage: begin empty, as old hosts did.
        }
      }),
    );
    if (nc.isClosed()) return;
    for (const kind of KINDS) {
      const subject = `${this.base}.${kind}.get`;
      this.subscriptions.push(
        nc.subscribe(subject, {
          queue: subject,
          callback: (_e, m) => {
            if (!m.reply) return;
            m.respond(encode(this.valuesOf(kind)));
            this.counters.answeredGets += 1;
          },
        }),
      );
    }
    await nc.flush();
  }

  private hear(msg: Msg, kind: Kind, op: "put" | "del"): void {
    let item: unknown;
    try {
      item = decode(msg.data);
    } catch {
      this.counters.undecodable += 1;
      return;
    }
    if (!isRecord(item)) {
      this.counters.undecodable += 1;
      return;
    }
    this.counters.received += 1;
    if (op === "put") this.store(kind, item);
    else this.linkdefsByKey.delete(linkdefKey(item));
  }

  private store(kind: Kind, item: Record<string, unknown>): void {
    if (kind === "claims" && typeof item.sub === "string") this.claimsBySub.set(item.sub, item);
    else if (kind === "refmaps" && typeof item.oci_url === "string")
      this.refmapsByUrl.set(item.oci_url, item);
    else if (kind === "linkdefs") this.linkdefsByKey.set(linkdefKey(item), item);
  }

  private valuesOf(kind: Kind): Record<string, unknown>[] {
    const map =
      kind === "claims" ? this.claimsBySub : kind === "refmaps" ? this.refmapsByUrl : this.linkdefsByKey;
    return [...map.values()];
  }

  private publish(subject: string, value: object): void {
    if (!this.nc || this.nc.isClosed()) throw new Error(`${this.name} is not running`);
    this.nc.publish(subject, encode(value));
  }
}

function linkdefKey(v: { actor_id?: unknown; contract_id?: unknown; link_name?: unknown }): string {
  const link = typeof v.link_name === "string" && v.link_name !== "" ? v.link_name : "default";
  return `${String(v.actor_id)}\u0000${String(v.contract_id)}\u0000${link}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function sortBy<T>(items: T[], keyOf: (item: T) => string): T[] {
  return items.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
}
