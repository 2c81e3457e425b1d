// Interop with real wasmCloud hosts: they write raw KV entries (plain nats.js/async-nats KV puts, no
// headers) in the JSON shapes of docs/wire-formats.md, and read ours the same way. Both directions, exactly.
// Rules cited here: docs/semantics.md#rule-11.
import { type LatticeCache, linkdefKey } from "@lattice-cache/core";
import { disposeAll, type NatsServerHandle, startNatsServer, waitFor } from "@lattice-cache/test-harness";
import type { KV } from "@nats-io/kv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bucketName } from "./bucket-layout.js";
import { openCache, type RawClient, rawClient, uniquePrefix } from "./nats-fixtures.test-helpers.js";

let server: NatsServerHandle;
let host: RawClient;
let prefix: string;
let kv: KV;
let cache: LatticeCache;

const json = (v: unknown) => JSON.stringify(v);

beforeAll(async () => {
  server = await startNatsServer();
  host = await rawClient(server.url);
  prefix = uniquePrefix("wasmcloud");
  // The bucket as a wasmCloud host creates it (nats.js KV create, history 1, file storage).
  const { Kvm } = await import("@nats-io/kv");
  kv = await new Kvm(host.jsm.jetstream()).create(bucketName(prefix), { history: 1 });
  ({ cache } = await openCache({ servers: server.url, prefix, hostId: "ours" }));
});

afterAll(async () => {
  await cache?.close();
  await host?.close();
  await disposeAll();
});

async function visible(predicate: () => boolean, what: string): Promise<void> {
  await waitFor(predicate, { what, timeoutMs: 10_000 });
}

describe("reading what real hosts wrote", () => {
  it("a link definition written without an id: the key is the test vector's hash, the id is computed", async () => {
    const key = "LINKDEF_B40411AD09B70A2C83D59923584F66BA2C5A3C274DC4F19416DA49CCD6531F9C";
    expect(linkdefKey("Mbob", "wasmcloud:testy", "default")).toBe(key);
    await kv.put(
      key,
      json({
        actor_id: "Mbob",
        provider_id: "VPROV",
        link_name: "default",
        contract_id: "wasmcloud:testy",
        values: { port: "8080" },
      }),
    );
    await visible(() => cache.linkdefs.byActor("Mbob").length === 1, "the link definition");
    expect(cache.linkdefs.get({ actor_id: "Mbob", contract_id: "wasmcloud:testy" })).toEqual({
      id: "B40411AD09B70A2C83D59923584F66BA2C5A3C274DC4F19416DA49CCD6531F9C",
      actor_id: "Mbob",
      provider_id: "VPROV",
      link_name: "default",
      contract_id: "wasmcloud:testy",
      values: { port: "8080" },
    });
    expect(cache.linkdefs.byProvider("VPROV")).toHaveLength(1);
    expect(
      cache.linkdefs.getEntry({ actor_id: "Mbob", contract_id: "wasmcloud:testy" })?.origin,
    ).toBeUndefined();
  });

  it("claims with JSON arrays for caps/tags and a numeric rev, and claims in the canonical string forms", async () => {
    await kv.put(
      "CLAIMS_MARRAY",
      json({
        call_alias: "",
        iss: "AISSUER",
        name: "echo",
        caps: ["wasmcloud:httpserver", "wasmcloud:keyvalue"],
        rev: 3,
        tags: [],
        version: "0.1.0",
        sub: "MARRAY",
      }),
    );
    await kv.put(
      "CLAIMS_MSTRING",
      json({
        call_alias: "echo/alias",
        iss: "AISSUER",
        name: "kv",
        caps: "wasmcloud:keyvalue",
        rev: "0",
        tags: "",
        version: "1.0.0",
        sub: "MSTRING",
      }),
    );
    await visible(() => cache.claims.list().length === 2, "both claims");
    expect(cache.claims.get("MARRAY")).toMatchObject({
      caps: "wasmcloud:httpserver,wasmcloud:keyvalue",
      tags: "",
      rev: "3",
    });
    expect(cache.claims.byCallAlias("echo/alias").map((c) => c.sub)).toEqual(["MSTRING"]);
  });

  it("an OCI reference map under its base64url (no padding) key", async () => {
    const ociUrl = "ghcr.io/wasmcloud/components/http-hello-world-rust:0.1.0";
    const key = `REFMAP_${Buffer.from(ociUrl).toString("base64url")}`;
    expect(key).not.toMatch(/=/);
    await kv.put(key, json({ oci_url: ociUrl, public_key: "MHELLO" }));
    await visible(() => cache.refmaps.get(ociUrl) !== undefined, "the refmap");
    expect(cache.refmaps.byPublicKey("MHELLO").map((r) => r.oci_url)).toEqual([ociUrl]);
  });

  it("both a delete marker and a purge marker remove the key", async () => {
    await kv.delete("CLAIMS_MARRAY");
    await kv.purge("CLAIMS_MSTRING");
    await visible(() => cache.claims.list().length === 0, "both claims gone");
    expect(cache.claims.get("MARRAY")).toBeUndefined();
  });

  it("a malformed value from the wire is skipped and counted, never fatal (rule 11)", async () => {
    const before = cache.status().counters.invalidEntries;
    await kv.put("CLAIMS_MBROKEN", "{not json");
    await kv.put(
      `REFMAP_${Buffer.from("x").toString("base64url")}`,
      json({ oci_url: "x", public_key: "MX" }),
    );
    await visible(() => cache.status().counters.invalidEntries > before, "the bad entry to be counted");
    await visible(() => cache.refmaps.get("x") !== undefined, "the good entry after it");
    expect(cache.status().state).toBe("live");
  });
});

describe("what we write, real hosts read", () => {
  it("our writes are plain KV values in the exact wire shapes (no extra fields), readable with kv.get", async () => {
    await cache.linkdefs.put({
      actor_id: "Mours",
      provider_id: "VOURS",
      contract_id: "wasmcloud:httpserver",
      values: { address: "0.0.0.0:8080" },
    });
    await cache.claims.put({
      sub: "MOURS",
      iss: "AOURS",
      name: "ours",
      caps: ["wasmcloud:httpserver"],
      tags: ["a", "b"],
      rev: 2,
      version: "0.2.0",
    });
    await cache.refmaps.put({ oci_url: "localhost:5000/ours:0.2.0", public_key: "MOURS" });
    const linkdef = await kv.get(linkdefKey("Mours", "wasmcloud:httpserver", "default"));
    expect(linkdef?.operation).toBe("PUT");
    expect(Object.keys(linkdef?.json<object>() ?? {})).toEqual([
      "id",
      "actor_id",
      "provider_id",
      "link_name",
      "contract_id",
      "values",
    ]);
    const claims = await kv.get("CLAIMS_MOURS");
    expect(claims?.json()).toEqual({
      call_alias: "",
      iss: "AOURS",
      name: "ours",
      caps: "wasmcloud:httpserver",
      rev: "2",
      tags: "a,b",
      version: "0.2.0",
      sub: "MOURS",
    });
    const refmap = await kv.get(`REFMAP_${Buffer.from("localhost:5000/ours:0.2.0").toString("base64url")}`);
    expect(refmap?.json()).toEqual({ oci_url: "localhost:5000/ours:0.2.0", public_key: "MOURS" });
  });

  it("our deletes are KV delete markers a host's watch sees as DEL", async () => {
    const watch = await kv.watch({ key: "CLAIMS_MOURS", include: "updates" });
    const seen: string[] = [];
    void (async () => {
      for await (const e of watch) seen.push(e.operation);
    })();
    await cache.claims.delete("MOURS");
    await visible(() => seen.includes("DEL"), "a DEL marker");
    watch.stop();
    expect((await kv.get("CLAIMS_MOURS"))?.operation).toBe("DEL");
  });

  it("the bucket's live keys, as a host's kv.keys() lists them, are exactly our replica's", async () => {
    const keys = new Set<string>();
    for await (const k of await kv.keys()) keys.add(k);
    const ours = [
      ...cache.linkdefs.list().map((l) => `LINKDEF_${l.id}`),
      ...cache.claims.list().map((c) => `CLAIMS_${c.sub}`),
      ...cache.refmaps.list().map((r) => `REFMAP_${Buffer.from(r.oci_url).toString("base64url")}`),
    ];
    // The invalid CLAIMS_MBROKEN is stored but not part of our replica (rule 11).
    expect(new Set(ours)).toEqual(new Set([...keys].filter((k) => k !== "CLAIMS_MBROKEN")));
  });
});
