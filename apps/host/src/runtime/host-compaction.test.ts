// The host and tombstones: the tombstoneRetention setting reaches the host's replica, and the host runs
// core's compaction schedule — or says once why it does not.
// Rules cited here: docs/semantics.md#rule-6.
import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { createDefaultBackendRegistry } from "../composition/builtin-backends.js";
import { createHostContainer } from "../composition/host-container.js";
import { loadConfig } from "../config/load-config.js";
import { HostRuntime } from "./host-runtime.js";

/** A host runtime on the memory backend with `flags`, logging into `lines`. */
function runtimeWith(flags: Record<string, string>, lines: string[]): HostRuntime {
  const registry = createDefaultBackendRegistry();
  const config = loadConfig({
    flags: { backend: "memory", httpPort: "0", ...flags },
    env: {},
    backends: registry.names,
  });
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return createHostContainer(config, { registry, logger: pino({ level: "info" }, sink) }).resolve(
    HostRuntime,
  );
}

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("the host's tombstone retention", () => {
  it("rule 6: --tombstone-retention reaches the host's replica, which drops an older tombstone", async () => {
    const lines: string[] = [];
    const runtime = runtimeWith({ tombstoneRetention: "1s" }, lines);
    await runtime.start();
    try {
      const cache = await runtime.ready(20_000);
      await cache.refmaps.put({ oci_url: "registry.example/retained:1", public_key: "MRETAINED" });
      await cache.refmaps.delete("registry.example/retained:1");
      expect(cache.status().tombstones).toBe(1);
      await until(() => cache.status().tombstones === 0, "the replica drops the tombstone");
      expect(cache.refmaps.get("registry.example/retained:1")).toBeUndefined();
      expect(lines.join("")).not.toContain("no automatic tombstone compaction");
    } finally {
      await runtime.stop();
    }
  });

  it("with a retention of 0 the host keeps tombstones and says once that it does not compact", async () => {
    const lines: string[] = [];
    const runtime = runtimeWith({ tombstoneRetention: "0" }, lines);
    await runtime.start();
    try {
      await runtime.ready(20_000);
      const said = lines.filter((l) => l.includes("no automatic tombstone compaction"));
      expect(said).toHaveLength(1);
      expect(said[0]).toContain("the tombstone retention is 0 (tombstones are kept forever)");
    } finally {
      await runtime.stop();
    }
  });
});
