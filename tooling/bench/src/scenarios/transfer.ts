// The `transfer` group: `lattice export` over a big bucket (a million entries; 50k with --quick) and `lattice
// import` of an export file (100k; 10k with --quick), on a nats-server of their own whose store goes with it,
// with their files in a temporary directory.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startNatsServer } from "@lattice-cache/test-harness";
import type { BenchContext } from "../bench-context.js";
import type { BenchResult } from "../result.js";
import { exportScenario } from "./transfer-export.js";
import { importScenario } from "./transfer-import.js";

/** Runs export.<n> and import.<n>. */
export async function transferScenarios(ctx: BenchContext): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), "lattice-bench-transfer-"));
  const server = await startNatsServer({ jetstream: true });
  try {
    return [...(await exportScenario(ctx, server, dir)), ...(await importScenario(ctx, server, dir))];
  } finally {
    await server.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}
