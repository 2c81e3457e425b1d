// The conformance backdoor of the legacy backend: what was really broadcast, observed with a plain NATS
// subscription and decoded here from the wire format — independently of the package's own codec.
import { claimsKey, linkdefKey, refmapKey } from "@lattice-cache/core";
import { decode } from "@msgpack/msgpack";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";

interface Seen {
  readonly value: Uint8Array | null;
  readonly revision: number;
}

const encoder = new TextEncoder();

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

function list(v: unknown): string {
  return Array.isArray(v) ? v.join(",") : str(v);
}

/** Key and canonical JSON of one broadcast value, in wasmCloud's field order. */
function canonical(
  collection: string,
  v: Record<string, unknown>,
): { key: string; json: unknown } | undefined {
  if (collection === "linkdefs") {
    const link = str(v.link_name) || "default";
    const key = linkdefKey(str(v.actor_id), str(v.contract_id), link);
    return {
      key,
      json: {
        id: key.slice("LINKDEF_".length),
        actor_id: v.actor_id,
        provider_id: v.provider_id,
        link_name: link,
        contract_id: v.contract_id,
        values: v.values ?? {},
      },
    };
  }
  if (collection === "claims") {
    return {
      key: claimsKey(str(v.sub)),
      json: {
        call_alias: str(v.call_alias),
        iss: str(v.iss),
        name: str(v.name),
        caps: list(v.caps),
        rev: v.rev === undefined || v.rev === "" ? "0" : String(v.rev),
        tags: list(v.tags),
        version: str(v.version),
        sub: v.sub,
      },
    };
  }
  if (collection === "refmaps") {
    return { key: refmapKey(str(v.oci_url)), json: { oci_url: v.oci_url, public_key: v.public_key } };
  }
  return undefined;
}

/** Records the last broadcast per key; revision = its position in arrival order here. */
export class RawBroadcastObserver {
  private readonly seen = new Map<string, Seen>();
  private counter = 0;

  private constructor(private readonly nc: NatsConnection) {}

  static async start(servers: string, prefix: string): Promise<RawBroadcastObserver> {
    const nc = await connect({ servers, name: "conformance-backdoor" });
    const observer = new RawBroadcastObserver(nc);
    for (const [collection, op] of [
      ["linkdefs", "put"],
      ["linkdefs", "del"],
      ["claims", "put"],
      ["refmaps", "put"],
    ] as const) {
      nc.subscribe(`wasmbus.rpc.${prefix}.${collection}.${op}`, {
        callback: (_e, m) => observer.record(collection, op, m.data),
      });
    }
    await nc.flush();
    return observer;
  }

  /** The last broadcast for `key` (after everything sent so far has arrived), or undefined. */
  async readRaw(key: string): Promise<Seen | undefined> {
    await this.nc.flush();
    return this.seen.get(key);
  }

  async close(): Promise<void> {
    await this.nc.close();
  }

  private record(collection: string, op: "put" | "del", data: Uint8Array): void {
    let body: unknown;
    try {
      body = decode(data);
    } catch {
      return;
    }
    if (typeof body !== "object" || body === null || Array.isArray(body)) return;
    let parsed: ReturnType<typeof canonical>;
    try {
      parsed = canonical(collection, body as Record<string, unknown>);
    } catch {
      return;
    }
    if (!parsed) return;
    this.counter += 1;
    this.seen.set(parsed.key, {
      value: op === "del" ? null : encoder.encode(JSON.stringify(parsed.json)),
      revision: this.counter,
    });
  }
}
