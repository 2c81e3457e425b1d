// The whole shared conformance suite against the jetstream backend: one nats-server for the file, a fresh
// bucket (prefix) per store, a fault proxy per store for partitions, raw KV reads as the backdoor.
// Buckets use the wasmCloud layout as created by default (history 1).
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
    newStore: async () => newJetStreamStore(await sharedServer()),
  },
);
