// The convergence check is the judge of every fault scenario, so it is specified too: it passes an honest end
// state, fails a replica that differs from the server, and tolerates acknowledged writes the server moved or
// lost only with proof that it rewrote its history — never under LATTICE_CHAOS_STRICT, never for a replica.
import { claimsCodec, MemoryBackend, MemoryStore } from "@lattice-cache/core";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { type ChaosHost, closeHosts, openHost } from "./chaos-host.test-helpers.js";
import { expectConverged } from "./convergence.test-helpers.js";
import { type StoredState, storedStateOf } from "./stored-state.test-helpers.js";
import { Workload } from "./workload.test-helpers.js";

const hosts: ChaosHost[] = [];

// The checker reports what it finds on stdout; for these made-up divergences that would only confuse a reader.
beforeEach(() => {
  vi.spyOn(console, "log").mockImplementation(() => {});
});

afterEach(async () => {
  vi.restoreAllMocks();
  await closeHosts(hosts.splice(0));
});

/** What the hosts' memory store holds now, as the convergence check reads a server. */
async function readStore(host: ChaosHost): Promise<StoredState> {
  const backend = host.backend as MemoryBackend;
  return storedStateOf(backend.store.snapshot());
}

/** Two hosts on one memory store, one acknowledged write of CLAIMS_MONE, and what the store holds. */
async function setUp() {
  const store = new MemoryStore();
  for (const name of ["m1", "m2"]) hosts.push(await openHost(name, () => new MemoryBackend(store)));
  const workload = new Workload(hosts);
  const { revision } = await hosts[0]!.cache.claims.put({ sub: "MONE", name: "one" });
  const text = JSON.stringify(hosts[0]!.cache.claims.get("MONE"));
  workload.recordAck({ key: "CLAIMS_MONE", revision, text, ackedAt: Date.now(), host: "m1" });
  const bytes = (name: string) => claimsCodec.encode(claimsCodec.parse({ sub: "MONE", name }));
  return { workload, revision, bytes };
}

describe("the convergence check of the fault scenarios", () => {
  it("passes when every replica holds exactly what the server stores", async () => {
    const { workload, revision, bytes } = await setUp();
    const honest = storedStateOf([{ key: "CLAIMS_MONE", revision, value: bytes("one") }]);
    const converged = await expectConverged({ hosts, workload, readState: async () => honest });
    expect(converged).toMatchObject({ revision, liveEntries: 1, historyRewrite: undefined });
  });

  it("fails a replica that differs from the server, with or without acceptProvenHistoryRewrite, when there is no proof", async () => {
    const { workload, revision, bytes } = await setUp();
    // The server claims another value at the same revision: nobody wrote it, nothing explains it.
    const other: StoredState = storedStateOf([{ key: "CLAIMS_MONE", revision, value: bytes("two") }]);
    await expect(
      expectConverged({ hosts, workload, readState: async () => other, timeoutMs: 2_000 }),
    ).rejects.toThrow();
    await expect(
      expectConverged({
        hosts,
        workload,
        readState: async () => other,
        readRevision: async () => undefined,
        acceptProvenHistoryRewrite: true,
        timeoutMs: 2_000,
      }),
    ).rejects.toThrow();
  });

  it("accepts acknowledged writes the server re-sequenced only with proof and not under LATTICE_CHAOS_STRICT — and never a replica that differs", async () => {
    const { workload, revision, bytes } = await setUp();
    // A replica differs from the server, which also holds the acknowledged value one revision later: proof
    // of a rewritten history, yet the replica must match the server all the same.
    const moved = storedStateOf([{ key: "CLAIMS_MONE", revision: revision + 1, value: bytes("one") }]);
    const base = { hosts, workload, acceptProvenHistoryRewrite: true, timeoutMs: 2_000 };
    await expect(expectConverged({ ...base, readState: async () => moved })).rejects.toThrow(
      /holds what the server stores/,
    );

    // The server really re-sequences it (the same value lands again, unacknowledged); the replicas follow.
    const again = await hosts[1]!.cache.claims.put({ sub: "MONE", name: "one" });
    expect(again.revision).toBe(revision + 1);
    const readState = async () => moved;
    const converged = await expectConverged({ ...base, readState });
    expect(converged.historyRewrite).toEqual({
      moved: [expect.stringContaining(`acknowledged at revision ${revision}`)],
      lost: [],
      detectedBy: [],
    });

    process.env["LATTICE_CHAOS_STRICT"] = "1";
    try {
      await expect(expectConverged({ ...base, readState })).rejects.toThrow(
        /revision they were acknowledged with/,
      );
    } finally {
      delete process.env["LATTICE_CHAOS_STRICT"];
    }
  });

  it("accepts an older acknowledged write the server stored a second time after a newer one as proof (seen 1 in 11 R3 runs), never under LATTICE_CHAOS_STRICT", async () => {
    const { workload, revision } = await setUp();
    // m2 overwrites MONE (acknowledged); then m1's older value lands again on top of it (the server's doing).
    const newer = await hosts[1]!.cache.claims.put({ sub: "MONE", name: "two" });
    const newerText = JSON.stringify(hosts[1]!.cache.claims.get("MONE"));
    workload.recordAck({
      key: "CLAIMS_MONE",
      revision: newer.revision,
      text: newerText,
      ackedAt: Date.now(),
      host: "m2",
    });
    const again = await hosts[0]!.cache.claims.put({ sub: "MONE", name: "one" });
    expect(again.revision).toBe(revision + 2);
    const base = { hosts, workload, acceptProvenHistoryRewrite: true, timeoutMs: 2_000 };
    const converged = await expectConverged({ ...base, readState: () => readStore(hosts[0]!) });
    expect(converged.historyRewrite?.lost).toEqual([
      expect.stringMatching(
        /acknowledged at revision \d+ by m2: .* acknowledged at revision \d+ by m1, landed again/,
      ),
    ]);
    process.env["LATTICE_CHAOS_STRICT"] = "1";
    try {
      await expect(expectConverged({ ...base, readState: () => readStore(hosts[0]!) })).rejects.toThrow(
        /no longer holds/,
      );
    } finally {
      delete process.env["LATTICE_CHAOS_STRICT"];
    }
  });
});
