// The shared conformance suite, run against the legacy backend on a real nats-server. Each store is its own
// lattice prefix; every backend reaches the server through one fault proxy per store (the partition switch).
// No test is skipped here: the suite runs what the declared capabilities (unordered, no compare-and-swap, no
// history) imply — deletes of link definitions only, values compared without revisions or digests.
import { runConformanceSuite } from "@lattice-cache/conformance";
import {
  disposeAll,
  type NatsServerHandle,
  startFaultProxy,
  startNatsServer,
} from "@lattice-cache/test-harness";
import { afterAll, describe, it } from "vitest";
import { LegacyBackend } from "./legacy-backend.js";
import { uniquePrefix } from "./nats-fixtures.test-helpers.js";
import { RawBroadcastObserver } from "./raw-broadcast-observer.test-helpers.js";

let server: Promise<NatsServerHandle> | undefined;

afterAll(async () => {
  await disposeAll();
});

runConformanceSuite(
  { describe, it },
  {
    name: "legacy",
    async newStore() {
      server ??= startNatsServer({ jetstream: false });
      const nats = await server;
      const prefix = uniquePrefix("conf");
      const proxy = await startFaultProxy({ target: { port: nats.port } });
      const observer = await RawBroadcastObserver.start(nats.url, prefix);
      return {
        connect: () => new LegacyBackend({ servers: proxy.url("nats"), prefix, getTimeoutMs: 500 }),
        backdoor: {
          readRaw: (key) => observer.readRaw(key),
          disconnect: async () => proxy.setMode("drop"),
          reconnect: async () => proxy.setMode("pass"),
        },
        async dispose() {
          await observer.close();
          await proxy.close();
        },
      };
    },
  },
  { propertyRuns: 5, waitTimeoutMs: 10_000 },
);
