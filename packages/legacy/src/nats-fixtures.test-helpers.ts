// Shared test fixtures: unique lattice prefixes, a raw observer of the generation-1 subjects, small helpers.
import { randomBytes } from "node:crypto";
import { LatticeCache } from "@lattice-cache/core";
import { JetStreamBackend } from "@lattice-cache/jetstream";
import { decode } from "@msgpack/msgpack";
import type { Msg, NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";

/** A lattice prefix no other test uses. */
export function uniquePrefix(label = "t"): string {
  return `${label}${randomBytes(4).toString("hex")}`;
}

/**
 * Opens a new host's cache on a JetStream backend and waits for its initial sync; its `close` goes into
 * `cleanups`.
 */
export async function openJetStreamCache(
  servers: string,
  prefix: string,
  hostId: string,
  cleanups: Array<() => Promise<void>>,
): Promise<LatticeCache> {
  const cache = await LatticeCache.open({
    backend: new JetStreamBackend({ servers, prefix, hostId }),
    hostId,
  });
  cleanups.push(() => cache.close());
  await cache.ready(20_000);
  return cache;
}

/** One message seen on the wire. */
export interface ObservedMessage {
  readonly subject: string;
  readonly body: unknown;
  readonly bridge: string | undefined;
}

/** A plain NATS subscription on `wasmbus.rpc.{prefix}.>` that records every put/del as decoded MessagePack. */
export class WireObserver {
  readonly messages: ObservedMessage[] = [];
  private constructor(readonly nc: NatsConnection) {}

  static async start(servers: string, prefix: string): Promise<WireObserver> {
    const nc = await connect({ servers, name: "wire-observer" });
    const observer = new WireObserver(nc);
    // Not `wasmbus.rpc.{prefix}.>`: a subscriber on the `.get` subjects would make starting hosts wait.
    const subjects = ["*.put", "*.del", "*.*.linkdefs.put", "*.*.linkdefs.del"].map(
      (s) => `wasmbus.rpc.${prefix}.${s}`,
    );
    const record = (m: Msg) => {
      let body: unknown;
      try {
        body = decode(m.data);
      } catch {
        body = "<undecodable>";
      }
      observer.messages.push({
        subject: m.subject,
        body,
        bridge: m.headers?.get("Lattice-Bridge") || undefined,
      });
    };
    for (const subject of subjects) nc.subscribe(subject, { callback: (_e, m) => record(m) });
    await nc.flush();
    return observer;
  }

  /** Messages on subjects ending with `suffix`. */
  on(suffix: string): ObservedMessage[] {
    return this.messages.filter((m) => m.subject.endsWith(suffix));
  }

  async close(): Promise<void> {
    await this.nc.close();
  }
}

/** A plain connection for publishing raw bytes in tests. */
export function plainConnection(servers: string): Promise<NatsConnection> {
  return connect({ servers, name: "test-publisher" });
}

/** Sorts by JSON for order-insensitive comparisons. */
export function sortedJson<T>(items: readonly T[]): string[] {
  return items.map((i) => JSON.stringify(i)).sort();
}
