// The LatticeBackend seam itself, without a cache in between: identity, head, writes, snapshot, resume.
import { AssertionError, deepStrictEqual, equal, ok } from "node:assert/strict";
import {
  BACKEND_SPECIFICATION_VERSION,
  type BackendEntry,
  type FeedPosition,
  type FeedSubscription,
  type LatticeBackend,
} from "@lattice-cache/core/backend";
import type { TestGroup } from "../conformance-test.js";
import { demandedDeletes } from "../demanded-deletes.js";
import { eventually } from "../eventually.js";
import { expectErrorCode } from "../expect-error.js";
import { FeedRecorder } from "../feed-recorder.js";
import { SAMPLE_CONTRACT, sampleClaims } from "../sample-values.js";
import type { StoreSession } from "../store-session.js";
import { plainBytes, readRawPlain } from "../stored-entries.js";
import { wireClaimsKey, wireLinkdefId, wireLinkdefKey } from "../wire-keys.js";

const CAPABILITY_NAMES = ["ordered", "durable", "compareAndSwap", "history", "ttl", "pushed"] as const;
const encoder = new TextEncoder();

/** Valid claims bytes for `sub`, in the canonical wire encoding. */
export function claimsBytes(sub: string, name: string): Uint8Array {
  const c = sampleClaims(sub, name);
  return encoder.encode(
    JSON.stringify({
      call_alias: "",
      iss: c.iss,
      name: c.name,
      caps: "wasmcloud:keyvalue",
      rev: "0",
      tags: "",
      version: c.version,
      sub,
    }),
  );
}

/** Valid link definition bytes for `actor` with `values`, in the canonical wire encoding (wasmCloud's field order). */
function linkdefBytes(actor: string, values: Record<string, string>): Uint8Array {
  return encoder.encode(
    JSON.stringify({
      id: wireLinkdefId(actor, SAMPLE_CONTRACT),
      actor_id: actor,
      provider_id: "VPROVIDERKV",
      link_name: "default",
      contract_id: SAMPLE_CONTRACT,
      values,
    }),
  );
}

/** A key the seam tests put and delete, with the bytes of its `name`d versions. */
interface SeamKey {
  readonly key: string;
  bytes(name: string): Uint8Array;
}

/** Claims where the backend must delete them; otherwise a link definition, the one key a broadcast deletes. */
function deletableSeamKey(claimsDeletable: boolean): SeamKey {
  if (claimsDeletable) {
    return { key: wireClaimsKey("MSEAMWRITE"), bytes: (name) => claimsBytes("MSEAMWRITE", name) };
  }
  return {
    key: wireLinkdefKey("MSEAMWRITE", SAMPLE_CONTRACT),
    bytes: (name) => linkdefBytes("MSEAMWRITE", { name }),
  };
}

/** Writes claims for each sub through `backend` and returns the entries written. */
async function writeClaims(backend: LatticeBackend, names: readonly string[]): Promise<BackendEntry[]> {
  const out: BackendEntry[] = [];
  for (const sub of names) {
    const value = claimsBytes(sub, "seam");
    const { revision } = await backend.write({ key: wireClaimsKey(sub), value, origin: "conformance-seam" });
    out.push({ key: wireClaimsKey(sub), value, revision });
  }
  return out;
}

/**
 * Subscribes a recorder after revision `after` (a snapshot for 0; otherwise a resume in the backend's current
 * history) and waits for `synced` or `gap`. The backend closes the subscription at the end.
 */
async function subscribed(
  session: StoreSession,
  backend: LatticeBackend,
  after: number,
): Promise<{ feed: FeedRecorder; subscription: FeedSubscription }> {
  const feed = new FeedRecorder();
  const from: FeedPosition =
    after === 0 ? { revision: 0 } : { revision: after, epoch: (await backend.head()).epoch };
  const subscription = backend.subscribe(from, feed);
  await eventually(
    `subscribe(${after}) reports synced or a gap`,
    () => feed.syncedHeads.length > 0 || feed.gaps.length > 0,
    session.poll(),
  );
  return { feed, subscription };
}

/** The backend contract group. */
export const backendContract: TestGroup = {
  title: "backend contract: the LatticeBackend seam",
  define({ test, features }) {
    const { ordered, history, compareAndSwap } = features.capabilities;
    const claimsDeletable = demandedDeletes(features.capabilities).includes("claims");

    test("declares the specification version, a name and six boolean capabilities", async (session) => {
      const backend = await session.rawBackend();
      equal(backend.specificationVersion, BACKEND_SPECIFICATION_VERSION, "specificationVersion");
      ok(typeof backend.name === "string" && backend.name.length > 0, "name must be a non-empty string");
      for (const name of CAPABILITY_NAMES) {
        equal(typeof backend.capabilities[name], "boolean", `capabilities.${name} must be a boolean`);
      }
    });

    test("an empty store: head() is stable and subscribe(0) reports synced with no entries", async (session) => {
      const backend = await session.rawBackend();
      const first = await backend.head();
      const second = await backend.head();
      ok(
        typeof first.epoch === "string" && first.epoch.length > 0,
        "head().epoch must be a non-empty string",
      );
      equal(second.epoch, first.epoch, "the epoch must not change while history is kept");
      if (ordered) equal(first.revision, 0, "head().revision of a fresh, empty store");
      const { feed } = await subscribed(session, backend, 0);
      deepStrictEqual(feed.gaps, [], "subscribe(0) must not report a gap");
      equal(feed.snapshot.length, 0, "subscribe(0) on an empty store delivers no entries before synced");
      if (ordered) equal(feed.syncedHeads[0]?.revision, 0, "synced(head) on an empty store");
    });

    const writeTitle = ordered
      ? "write() stores the exact bytes under the key, with the revision it returns"
      : "write() stores the exact bytes under the key";
    test(writeTitle, async (session) => {
      const backend = await session.rawBackend();
      const { key, bytes } = deletableSeamKey(claimsDeletable);
      // The store's revision is the one write() returned only on an ordered store; a broadcast's revisions
      // are each host's own arrival counters, so there only the bytes are compared.
      const stored = async () => {
        const raw = await readRawPlain(session.backdoor, key);
        return ordered ? raw : raw && { value: raw.value };
      };
      const written = (value: Uint8Array, revision: number) => (ordered ? { value, revision } : { value });
      const first = bytes("first");
      const second = bytes("second");
      const r1 = await backend.write({ key, value: first, origin: "conformance-seam" });
      deepStrictEqual(await stored(), written(first, r1.revision), "after the first write");
      const r2 = await backend.write({ key, value: second, origin: "conformance-seam" });
      deepStrictEqual(await stored(), written(second, r2.revision), "after the second write");
      const r3 = await backend.write({ key, value: null, origin: "conformance-seam" });
      const deleted = await session.backdoor.readRaw(key);
      ok(
        deleted === undefined || (deleted.value === null && (!ordered || deleted.revision === r3.revision)),
        `after write(null) readRaw must be undefined or a tombstone${ordered ? ` at revision ${r3.revision}` : ""}, got ${JSON.stringify(deleted)}`,
      );
      if (ordered) {
        ok(
          r1.revision > 0 && r2.revision > r1.revision && r3.revision > r2.revision,
          "revisions must increase",
        );
        equal((await backend.head()).revision, r3.revision, "head().revision after the last write");
      }
    });

    if (ordered) {
      test("subscribe(0) delivers a snapshot of the current entries, then synced, then live writes", async (session) => {
        const writer = await session.rawBackend();
        await writeClaims(writer, ["MSEAMA", "MSEAMB", "MSEAMC"]);
        const [rewritten] = await writeClaims(writer, ["MSEAMA"]);
        const deleted = await writer.write({
          key: wireClaimsKey("MSEAMB"),
          value: null,
          origin: "conformance-seam",
        });
        const reader = await session.rawBackend();
        const { feed } = await subscribed(session, reader, 0);
        deepStrictEqual(feed.gaps, [], "subscribe(0) must not report a gap");
        const head = feed.syncedHeads[0];
        ok(head, "synced must be called");
        ok(
          head.revision >= deleted.revision,
          `synced(head.revision ${head.revision}) must cover ${deleted.revision}`,
        );
        // Apply the snapshot the way a replica does (highest revision wins) and compare with the store.
        const latest = new Map<string, BackendEntry>();
        for (const e of feed.snapshot) {
          ok(
            e.revision <= head.revision,
            `snapshot entry ${e.key}@${e.revision} is beyond synced ${head.revision}`,
          );
          if ((latest.get(e.key)?.revision ?? 0) < e.revision) latest.set(e.key, e);
        }
        for (const sub of ["MSEAMA", "MSEAMB", "MSEAMC"]) {
          const key = wireClaimsKey(sub);
          const raw = await readRawPlain(session.backdoor, key);
          const seen = latest.get(key);
          if (raw === undefined || raw.value === null) {
            ok(!seen || seen.value === null, `the snapshot shows deleted ${key} as live`);
          } else {
            deepStrictEqual(
              seen && { value: plainBytes(seen.value), revision: seen.revision },
              raw,
              `snapshot of ${key}`,
            );
          }
        }
        equal(
          latest.get(rewritten?.key ?? "")?.revision,
          rewritten?.revision,
          "the snapshot holds the newest MSEAMA",
        );
        const [live] = await writeClaims(writer, ["MSEAMD"]);
        await eventually(
          "the live write arrives after synced",
          () => feed.live.some((e) => e.key === live?.key),
          session.poll(),
        );
        deepStrictEqual(
          feed.live
            .filter((e) => e.key === live?.key)
            .map((e) => ({ value: plainBytes(e.value), revision: e.revision })),
          [{ value: live?.value, revision: live?.revision }],
          "the live write, once, with its bytes and revision",
        );
      });
    }

    if (ordered && history) {
      test("subscribe(R) resumes after R: exactly the later changes, in revision order, then synced", async (session) => {
        const writer = await session.rawBackend();
        const written = await writeClaims(writer, ["MRESUMEA", "MRESUMEB", "MRESUMEC", "MRESUMED"]);
        const [rewritten] = await writeClaims(writer, ["MRESUMEA"]);
        const after = written[1]?.revision ?? 0;
        const reader = await session.rawBackend();
        const { feed } = await subscribed(session, reader, after);
        deepStrictEqual(
          feed.gaps,
          [],
          `a backend declaring history must resume after ${after} without a gap`,
        );
        deepStrictEqual(
          feed.snapshot.map((e) => `${e.key}@${e.revision}`),
          [written[2], written[3], rewritten].map((e) => `${e?.key}@${e?.revision}`),
          `subscribe(${after}) must deliver every later change, in order, and nothing older`,
        );
        equal(feed.syncedHeads[0]?.revision, rewritten?.revision, "synced(head) after the resume");
      });
    }

    test("a closed subscription delivers nothing more; other subscriptions carry on", async (session) => {
      const writer = await session.rawBackend();
      const reader = await session.rawBackend();
      const { feed: closed, subscription } = await subscribed(session, reader, 0);
      const { feed: open } = await subscribed(session, reader, 0);
      await subscription.close();
      const before = closed.entries.length;
      const [entry] = await writeClaims(writer, ["MSEAMCLOSED"]);
      await eventually(
        "the open subscription receives the write",
        () => open.live.some((e) => e.key === entry?.key),
        session.poll(),
      );
      // The open feed has it, so a leaking closed feed would have delivered it by now too (same connection).
      if (closed.entries.length !== before) {
        throw new AssertionError({ message: "a closed subscription still delivered entries" });
      }
    });

    if (!compareAndSwap) {
      test("without compareAndSwap, write() with expectedRevision throws UnsupportedOperationError", async (session) => {
        const backend = await session.rawBackend();
        const key = wireClaimsKey("MNOCAS");
        await expectErrorCode(
          "write() with expectedRevision on a backend without compareAndSwap",
          () =>
            backend.write({
              key,
              value: claimsBytes("MNOCAS", "x"),
              expectedRevision: 0,
              origin: "conformance-seam",
            }),
          "UNSUPPORTED",
        );
        equal(await session.backdoor.readRaw(key), undefined, "nothing may be stored");
      });
    }
  },
};
