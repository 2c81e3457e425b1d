#!/usr/bin/env node
// `pnpm bench [--quick] [--out FILE] [--only read,write,…]`: side-by-side benchmarks in one run.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { parseArgs } from "node:util";
import { disposeAll } from "@lattice-cache/test-harness";
import { formatTable } from "../result.js";
import { FULL_SIZES, QUICK_SIZES, runBenchmarks, SCENARIOS } from "../run-benchmarks.js";

// The memory scenario needs a forced GC: re-run under --expose-gc when started without it.
if (typeof (globalThis as { gc?: unknown }).gc !== "function") {
  const r = spawnSync(process.execPath, ["--expose-gc", ...process.argv.slice(1)], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    out: { type: "string", default: "bench-results.json" },
    only: { type: "string" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  console.log(
    `usage: lattice-bench [--quick] [--out FILE] [--only ${SCENARIOS.map((s) => s.name).join(",")}]`,
  );
  process.exit(0);
}
const only = values.only
  ?.split(",")
  .map((s) => s.trim())
  .filter(Boolean);
const unknown = only?.filter((o) => !SCENARIOS.some((s) => s.name === o)) ?? [];
if (unknown.length) {
  console.error(
    `unknown scenario(s): ${unknown.join(", ")}; known: ${SCENARIOS.map((s) => s.name).join(", ")}`,
  );
  process.exit(2);
}

const started = Date.now();
const progress = (message: string) =>
  process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)}s] ${message}\n`);
const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
progress(`machine: ${machine}; ${values.quick ? "quick" : "full"} sizes`);
try {
  const results = await runBenchmarks({ sizes: values.quick ? QUICK_SIZES : FULL_SIZES, only, progress });
  console.log(
    `\n${formatTable(results)}\n\nmachine: ${machine}; ${values.quick ? "--quick" : "full"} run, ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  writeFileSync(values.out, `${JSON.stringify(results, null, 2)}\n`);
  progress(`wrote ${values.out}`);
  process.exit(0);
} catch (error) {
  console.error("benchmark failed:", error);
  await disposeAll();
  process.exit(1);
}
