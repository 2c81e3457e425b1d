// Rule 11: every value from the wire is validated; bad ones are counted and skipped without harming the
// replica. Bad input through the API is refused before anything is sent.
// Rules cited here: docs/semantics.md#rule-11.
import { AssertionError, deepStrictEqual, equal, ok } from "node:assert/strict";
import {
  type Claims,
  errorText,
  type LatticeCache,
  LatticeCacheError,
  type LatticeErrorCode,
  type OciReferenceMap,
  type UpdateOutcome,
} from "@lattice-cache/core";
import type { LatticeBackend } from "@lattice-cache/core/backend";
import type { TestGroup } from "../conformance-test.js";
import { eventually } from "../eventually.js";
import { expectErrorCode } from "../expect-error.js";
import { sampleClaims, sampleLinkdef, sampleLinkdefRef } from "../sample-values.js";
import type { StoreSession } from "../store-session.js";
import { wireClaimsKey, wireLinkdefKey, wireRefmapKey } from "../wire-keys.js";

const encoder = new TextEncoder();
const json = (value: unknown) => encoder.encode(JSON.stringify(value));

/** Entries under valid keys whose values must be rejected by every replica. */
function garbageEntries(): Array<{ key: string; value: Uint8Array; why: string }> {
  return [
    {
      key: wireLinkdefKey("MGARBAGE0", "wasmcloud:keyvalue"),
      value: new Uint8Array([0xff, 0xfe, 0x00, 0x7b]),
      why: "not UTF-8",
    },
    { key: wireClaimsKey("MGARBAGE1"), value: encoder.encode("{not json"), why: "not JSON" },
    { key: wireClaimsKey("MGARBAGE2"), value: json({ sub: 5, caps: {} }), why: "wrong field types" },
    { key: wireRefmapKey("registry.example/garbage:3"), value: json([1, 2, 3]), why: "not an object" },
    {
      key: wireLinkdefKey("MGARBAGE4", "wasmcloud:keyvalue"),
      value: json({ ...sampleLinkdef("MSOMEONEELSE"), id: "X", link_name: "default", values: {} }),
      why: "a link definition that belongs under another key",
    },
  ];
}

/**
 * Writes `value` under `key` through the raw backend and says whether the backend took it. An ordered
 * backend is a shared store (a bucket, a keyspace) that other writers — old hosts, operators' tools — can
 * fill with any bytes, so it must carry them as they are: that is how its replicas' validation is tested.
 * An unordered broadcast carries typed messages instead; it may refuse what it cannot encode with
 * `refusal`, and then nothing may reach the store.
 */
async function carriesRaw(
  session: StoreSession,
  raw: LatticeBackend,
  write: { key: string; value: Uint8Array; why: string },
  mayRefuse: boolean,
  refusal: LatticeErrorCode,
): Promise<boolean> {
  try {
    await raw.write({ key: write.key, value: write.value, origin: "conformance-garbage" });
    return true;
  } catch (error) {
    if (!mayRefuse || !LatticeCacheError.hasCode(error, refusal)) {
      const allowed = mayRefuse ? `success or ${refusal}` : "success (an ordered store carries any bytes)";
      throw new AssertionError({
        message: `write() of ${write.why} under ${write.key}: expected ${allowed}, got ${errorText(error)}`,
      });
    }
    equal(
      await session.backdoor.readRaw(write.key),
      undefined,
      `a refused write of ${write.why} must store nothing under ${write.key}`,
    );
    return false;
  }
}

/** Keys the API must refuse with InvalidKeyError: NATS token separators, wildcards, whitespace, empty. */
const BAD_KEYS = ["a.b", "a*b", "a>b", "a b", "tab\there", ""];

async function headRevision(session: StoreSession, ordered: boolean): Promise<number | undefined> {
  return ordered ? (await session.head()).revision : undefined;
}

/** Attempts `update()` gets in the invalid-over-valid tests. */
const UPDATE_ATTEMPTS = 5;

function describeKey(caches: readonly LatticeCache[], sub: string): string {
  return caches
    .map((c) => {
      const s = c.status();
      return `${c.hostId}: serves ${JSON.stringify(c.claims.get(sub)?.name)}, invalid entries ${s.counters.invalidEntries}, revision ${s.revision}`;
    })
    .join("; ");
}

/**
 * `update()` over the invalid value stored at `garbageRevision` must write within a few attempts, with a
 * conditional write on that revision, and the store must hold the revision it returned.
 */
async function updateBuildsOnStored(
  session: StoreSession,
  cache: LatticeCache,
  sub: string,
  garbageRevision: number,
): Promise<UpdateOutcome<Claims>> {
  let outcome: UpdateOutcome<Claims>;
  try {
    outcome = await cache.claims.update(sub, () => sampleClaims(sub, "repaired"));
  } catch (error) {
    throw new AssertionError({
      message: `update() over the invalid value stored at revision ${garbageRevision} must build on that revision, but failed: ${errorText(error)}`,
    });
  }
  ok(outcome.written, "update() wrote");
  ok(
    outcome.attempts <= 3,
    `update() needed ${outcome.attempts} attempts; the replica knows the stored revision`,
  );
  ok(outcome.revision > garbageRevision, `update() wrote at ${outcome.revision}, after the invalid value`);
  equal(
    (await session.backdoor.readRaw(wireClaimsKey(sub)))?.revision,
    outcome.revision,
    "the store holds the revision update() returned",
  );
  return outcome;
}

/** The rule-11 group. */
export const rule11Validation: TestGroup = {
  title: "rule 11: validation at the edge",
  rule: 11,
  define({ test, features }) {
    const { ordered } = features.capabilities;

    const garbageTitle = ordered
      ? "garbage written under valid keys is counted and skipped; replicas keep serving and later writes apply"
      : "garbage under valid keys is refused by write() or counted and skipped; replicas keep serving and later writes apply";
    test(garbageTitle, async (session) => {
      const [a, b] = await session.cacheGroup(2);
      await a.linkdefs.put(sampleLinkdef("MGOOD", { ok: "yes" }));
      const raw = await session.rawBackend();
      let carried = 0;
      for (const g of garbageEntries()) {
        if (await carriesRaw(session, raw, g, !ordered, "INVALID_ENTRY")) carried += 1;
      }
      // A key outside the three collections is not ours: ignored, not counted, harmless.
      const unrelated = { key: "UNRELATED_KEY", value: encoder.encode("\u0000"), why: "a foreign key" };
      await carriesRaw(session, raw, unrelated, !ordered, "INVALID_KEY");
      await eventually(
        `both live replicas counted the ${carried} invalid entries`,
        () => [a, b].every((c) => c.status().counters.invalidEntries >= carried),
        session.poll(() =>
          [a, b].map((c) => `${c.hostId}: ${c.status().counters.invalidEntries}`).join(", "),
        ),
      );
      const fresh = await session.cache();
      ok(
        fresh.status().counters.invalidEntries >= carried,
        `a replica syncing from scratch counts them too (counted ${fresh.status().counters.invalidEntries})`,
      );
      for (const cache of [a, b, fresh]) {
        equal(cache.status().state, "live", `${cache.hostId} keeps running`);
        equal(
          cache.linkdefs.get(sampleLinkdefRef("MGOOD"))?.values.ok,
          "yes",
          `${cache.hostId} keeps serving valid entries`,
        );
        deepStrictEqual(
          cache.status().counts,
          { linkdefs: 1, claims: 0, refmaps: 0 },
          `${cache.hostId} holds no garbage`,
        );
      }
      await a.linkdefs.put(sampleLinkdef("MGARBAGE0", { fixed: "1" }));
      await a.claims.put(sampleClaims("MGARBAGE2", "fixed"));
      const fixed = (c: LatticeCache) =>
        c.linkdefs.get(sampleLinkdefRef("MGARBAGE0"))?.values.fixed === "1" &&
        c.claims.get("MGARBAGE2")?.name === "fixed";
      await eventually(
        "valid writes over the garbage apply everywhere",
        () => [a, b, fresh].every(fixed),
        session.poll(),
      );
    });

    test("invalid input through the API throws InvalidEntryError and sends nothing", async (session) => {
      const cache = await session.cache();
      const before = await headRevision(session, ordered);
      const attempts: Array<[string, () => Promise<unknown>]> = [
        [
          "a link definition without actor_id",
          () => cache.linkdefs.put({ ...sampleLinkdef("MX"), actor_id: "" }),
        ],
        [
          "claims with a non-numeric rev",
          () => cache.claims.put({ ...sampleClaims("MINVALIDREV"), rev: "one" }),
        ],
        [
          "claims with a numeric tags field",
          () => cache.claims.put({ ...sampleClaims("MINVALIDTAGS"), tags: 7 as unknown as string }),
        ],
        [
          "a refmap without public_key",
          () => cache.refmaps.put({ oci_url: "registry.example/invalid:1" } as OciReferenceMap),
        ],
      ];
      if (features.capabilities.compareAndSwap) {
        attempts.push([
          "an update producing an invalid value",
          () => cache.claims.update("MINVALIDUPDATE", () => ({ sub: "MINVALIDUPDATE", rev: -1 })),
        ]);
      }
      for (const [what, attempt] of attempts) await expectErrorCode(what, attempt, "INVALID_ENTRY");
      await expectErrorCode(
        "claims whose sub is not key-safe",
        () => cache.claims.put(sampleClaims("M.DOTTED")),
        ["INVALID_ENTRY", "INVALID_KEY"],
      );
      for (const key of [
        wireClaimsKey("MINVALIDREV"),
        wireClaimsKey("MINVALIDTAGS"),
        wireClaimsKey("MINVALIDUPDATE"),
        wireRefmapKey("registry.example/invalid:1"),
      ]) {
        equal(await session.backdoor.readRaw(key), undefined, `nothing may be stored under ${key}`);
      }
      equal(await headRevision(session, ordered), before, "refused input must not reach the backend");
      equal(cache.status().state, "live");
    });

    test("keys with '.', '*', '>', whitespace or nothing are refused with InvalidKeyError", async (session) => {
      const cache = await session.cache();
      const before = await headRevision(session, ordered);
      for (const bad of BAD_KEYS) {
        const shown = JSON.stringify(bad);
        await expectErrorCode(`claims.get(${shown})`, () => cache.claims.get(bad), "INVALID_KEY");
        await expectErrorCode(`claims.delete(${shown})`, () => cache.claims.delete(bad), "INVALID_KEY");
        await expectErrorCode(`claims.getEntry(${shown})`, () => cache.claims.getEntry(bad), "INVALID_KEY");
      }
      await expectErrorCode('refmaps.delete("")', () => cache.refmaps.delete(""), "INVALID_KEY");
      equal(await headRevision(session, ordered), before, "refused keys must not reach the backend");
    });

    test("a value over maxValueBytes throws ValueTooLargeError and sends nothing", async (session) => {
      const limit = 512;
      const cache = await session.cache({ maxValueBytes: limit });
      const before = await headRevision(session, ordered);
      const error = await expectErrorCode(
        "a link definition over the limit",
        () => cache.linkdefs.put(sampleLinkdef("MTOOLARGE", { blob: "x".repeat(limit) })),
        "VALUE_TOO_LARGE",
      );
      equal((error as { limit?: number }).limit, limit);
      await expectErrorCode(
        "claims over the limit",
        () => cache.claims.put(sampleClaims("MTOOLARGE", "y".repeat(limit))),
        "VALUE_TOO_LARGE",
      );
      if (features.capabilities.compareAndSwap) {
        await expectErrorCode(
          "an update over the limit",
          () => cache.claims.update("MTOOLARGE", () => sampleClaims("MTOOLARGE", "y".repeat(limit))),
          "VALUE_TOO_LARGE",
        );
      }
      equal(await session.backdoor.readRaw(wireLinkdefKey("MTOOLARGE", "wasmcloud:keyvalue")), undefined);
      equal(await session.backdoor.readRaw(wireClaimsKey("MTOOLARGE")), undefined);
      equal(await headRevision(session, ordered), before, "an oversized value must not reach the backend");
      await cache.linkdefs.put(sampleLinkdef("MJUSTFITS", { blob: "x".repeat(limit / 4) }));
    });

    if (ordered && features.capabilities.compareAndSwap && features.backdoor.storeRaw) {
      test("an invalid value stored over a valid one is a change: the key reads as absent everywhere, digests agree, update() builds on the stored revision", async (session) => {
        // Few attempts: an update that cannot build on the stored revision fails fast instead of after 100.
        const a = await session.cache({ updateRetry: { maxAttempts: UPDATE_ATTEMPTS } });
        const b = await session.cache();
        const sub = "MINVALIDOVERVALID";
        const key = wireClaimsKey(sub);
        await a.claims.put(sampleClaims(sub, "valid"));
        await session.settle([a, b]);
        const invalidBefore = [a, b].map((c) => c.status().counters.invalidEntries);
        const garbageRevision = await session.backdoor.storeRaw!(key, encoder.encode("{not json"));
        await eventually(
          `both replicas read ${key} as absent and counted the invalid value`,
          () =>
            [a, b].every(
              (c, i) =>
                c.claims.get(sub) === undefined &&
                c.status().counters.invalidEntries > (invalidBefore[i] ?? 0),
            ),
          session.poll(() => describeKey([a, b], sub)),
        );
        const fresh = await session.cache();
        await session.settle([a, b, fresh]);
        equal(fresh.claims.get(sub), undefined, "a replica syncing from scratch reads it as absent too");
        const digests = [a, b, fresh].map((c) => c.status().digest);
        ok(
          digests.every((d) => d === digests[0]),
          `replicas at the same revision must report the same digest: ${[a, b, fresh].map((c, i) => `${c.hostId} ${digests[i]}`).join(", ")}`,
        );
        const outcome = await updateBuildsOnStored(session, a, sub, garbageRevision);
        equal(a.claims.get(sub)?.name, "repaired", "the writer serves the repaired value");
        await eventually(
          "b serves the repaired value",
          () => b.claims.get(sub)?.name === "repaired",
          session.poll(),
        );
        equal(b.claims.getEntry(sub)?.revision, outcome.revision);
      });

      test("an invalid value stored over a deleted key: update() builds on the stored revision instead of failing with CONFLICT", async (session) => {
        const a = await session.cache({ updateRetry: { maxAttempts: UPDATE_ATTEMPTS } });
        const sub = "MINVALIDOVERDELETED";
        const key = wireClaimsKey(sub);
        await a.claims.put(sampleClaims(sub, "valid"));
        await a.claims.delete(sub);
        const invalidBefore = a.status().counters.invalidEntries;
        const garbageRevision = await session.backdoor.storeRaw!(key, json({ sub: 5, caps: {} }));
        await eventually(
          "the replica applied the invalid value's revision",
          () => a.status().revision >= garbageRevision && a.status().counters.invalidEntries > invalidBefore,
          session.poll(() => describeKey([a], sub)),
        );
        equal(a.claims.get(sub), undefined, `${key} reads as absent`);
        await updateBuildsOnStored(session, a, sub, garbageRevision);
      });
    }
  },
};
