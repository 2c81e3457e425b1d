// What lands in the store is exactly what wasmCloud hosts write (docs/wire-formats.md), read back through the
// backdoor — a backend that only echoes its own cache fails here.
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import type { TestGroup } from "../conformance-test.js";
import { eventually } from "../eventually.js";
import { sampleLinkdef } from "../sample-values.js";
import { expectStoredDeleted, expectStoredLive } from "../stored-entries.js";
import {
  LINKDEF_ID_TEST_VECTOR,
  wireClaimsKey,
  wireLinkdefId,
  wireLinkdefKey,
  wireRefmapKey,
} from "../wire-keys.js";

const LINKDEF_FIELDS = ["id", "actor_id", "provider_id", "link_name", "contract_id", "values"];
const CLAIMS_FIELDS = ["call_alias", "iss", "name", "caps", "rev", "tags", "version", "sub"];
const REFMAP_FIELDS = ["oci_url", "public_key"];

function fieldOrder(json: unknown): string[] {
  return typeof json === "object" && json !== null ? Object.keys(json) : [];
}

/** The stored wire format group. */
export const wireFormat: TestGroup = {
  title: "wire format: what the store holds",
  define({ test, features }) {
    // Stored revisions are compared with what writes returned only on an ordered store: a broadcast's
    // revisions are each host's own arrival counters (the backdoor's included).
    const { ordered } = features.capabilities;

    test("a link definition is stored as wasmCloud's JSON under LINKDEF_{sha256 id}", async (session) => {
      const [writer, reader] = await session.cacheGroup(2);
      const v = LINKDEF_ID_TEST_VECTOR;
      equal(wireLinkdefId(v.actorId, v.contractId, v.linkName), v.id, "the suite's own id computation");
      const outcome = await writer.linkdefs.put({
        actor_id: v.actorId,
        provider_id: "VHTTPSERVER",
        contract_id: v.contractId,
        values: { address: "0.0.0.0:8080" },
      });
      const key = `LINKDEF_${v.id}`;
      equal(outcome.key, key, "put() reports the generation-3 key");
      const stored = await expectStoredLive(session.backdoor, key);
      const expected = {
        id: v.id,
        actor_id: v.actorId,
        provider_id: "VHTTPSERVER",
        link_name: "default",
        contract_id: v.contractId,
        values: { address: "0.0.0.0:8080" },
      };
      deepStrictEqual(stored.json, expected, "the stored link definition");
      deepStrictEqual(fieldOrder(stored.json), LINKDEF_FIELDS, "field order of the stored link definition");
      if (ordered) equal(stored.revision, outcome.revision, "the stored revision is the one put() returned");
      await eventually(
        "another host reads it",
        () => reader.linkdefs.get({ actor_id: v.actorId, contract_id: v.contractId }) !== undefined,
        session.poll(),
      );
      deepStrictEqual(reader.linkdefs.get({ actor_id: v.actorId, contract_id: v.contractId }), expected);
    });

    test("claims are stored under CLAIMS_{sub} with comma-joined caps/tags and a string rev", async (session) => {
      const cache = await session.cache();
      const sub = "MCLAIMSWIREFORMAT";
      const outcome = await cache.claims.put({
        sub,
        iss: "AISSUER",
        name: "echo",
        version: "1.2.3",
        caps: ["wasmcloud:httpserver", "wasmcloud:keyvalue"],
        tags: ["blue", "green"],
        rev: 3,
      });
      equal(outcome.key, wireClaimsKey(sub));
      const stored = await expectStoredLive(session.backdoor, wireClaimsKey(sub));
      deepStrictEqual(stored.json, {
        call_alias: "",
        iss: "AISSUER",
        name: "echo",
        caps: "wasmcloud:httpserver,wasmcloud:keyvalue",
        rev: "3",
        tags: "blue,green",
        version: "1.2.3",
        sub,
      });
      deepStrictEqual(fieldOrder(stored.json), CLAIMS_FIELDS, "field order of the stored claims");
      if (ordered) equal(stored.revision, outcome.revision);
      await cache.claims.put({ sub: "MCLAIMSEMPTY", caps: [], tags: [] });
      const empty = await expectStoredLive(session.backdoor, wireClaimsKey("MCLAIMSEMPTY"));
      deepStrictEqual(
        [
          (empty.json as Record<string, unknown>).caps,
          (empty.json as Record<string, unknown>).tags,
          (empty.json as Record<string, unknown>).rev,
        ],
        ["", "", "0"],
        'empty lists are stored as empty strings, a missing rev as "0"',
      );
    });

    test("reference maps are stored under REFMAP_{base64url without padding}", async (session) => {
      const cache = await session.cache();
      // 31 bytes: plain base64 would end in "=" and contain "/" — neither may appear in the key.
      const url = "wasmcloud.azurecr.io/echo:0.3.4";
      const outcome = await cache.refmaps.put({ oci_url: url, public_key: "MECHO" });
      const key = wireRefmapKey(url);
      equal(outcome.key, key);
      ok(!/[=/+.]/.test(key.slice("REFMAP_".length)), `the key ${key} must be base64url without padding`);
      const stored = await expectStoredLive(session.backdoor, key);
      deepStrictEqual(stored.json, { oci_url: url, public_key: "MECHO" });
      deepStrictEqual(fieldOrder(stored.json), REFMAP_FIELDS);
      if (ordered) equal(stored.revision, outcome.revision);
    });

    test("a delete leaves a tombstone or removes the key; a tombstone has the delete's revision", async (session) => {
      const cache = await session.cache();
      const put = await cache.linkdefs.put(sampleLinkdef("MDELETEWIRE"));
      const key = wireLinkdefKey("MDELETEWIRE", "wasmcloud:keyvalue");
      equal(put.key, key);
      const del = await cache.linkdefs.delete({ actor_id: "MDELETEWIRE", contract_id: "wasmcloud:keyvalue" });
      const stored = await expectStoredDeleted(session.backdoor, key);
      if (ordered) {
        if (stored)
          equal(stored.revision, del.revision, "the tombstone's revision is the one delete() returned");
        ok(
          del.revision > put.revision,
          `the delete's revision ${del.revision} must be above the put's ${put.revision}`,
        );
      }
    });

    test("a 64 KiB value is stored and served intact", async (session) => {
      const [writer, reader] = await session.cacheGroup(2);
      const big = "x".repeat(64 * 1024);
      await writer.linkdefs.put(sampleLinkdef("MBIGVALUE", { big }));
      const stored = await expectStoredLive(
        session.backdoor,
        wireLinkdefKey("MBIGVALUE", "wasmcloud:keyvalue"),
      );
      equal((stored.json as { values: { big: string } }).values.big, big);
      await eventually(
        "another host serves the large value",
        () =>
          reader.linkdefs.get({ actor_id: "MBIGVALUE", contract_id: "wasmcloud:keyvalue" })?.values.big ===
          big,
        session.poll(),
      );
    });
  },
};
