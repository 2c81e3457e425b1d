#!/usr/bin/env node
// `pnpm bench [--quick] [--out FILE] [--only read,write,…] [--hosts N]`: side-by-side benchmarks in one run.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { parseArgs } from "node:util";
import { disposeAll } from "@lattice-cache/test-harness";
import { formatBaselines, formatTable } from "../result.js";
import { FULL_SIZES, QUICK_SIZES, runBenchmarks, SCENARIOS } from "../run-benchmarks.js";

// The memory scenario needs a forced GC: re-run under --expose-gc when started without it.
if (typeof (globalThis as { gc?: unknown }).gc !== "function") {
  const r = spawnSync(process.execPath, ["--expose-gc", ...process.argv.slice(1)], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}

/** Prints a command-line error and exits with status 2. */
function usageError(message: string): never {
  console.error(`lattice-bench: ${message} (--help for usage)`);
  process.exit(2);
}

let values: { quick: boolean; out: string; only?: string; hosts?: string; help: boolean };
try {
  ({ values } = parseArgs({
    options: {
      quick: { type: "boolean", default: false },
      out: { type: "string", default: "bench-results.json" },
      only: { type: "string" },
      hosts: { type: "string" },
      help: { type: "boolean", default: false },
    },
  }));
} catch (error) {
  usageError((error as Error).message);
}
if (values.help) {
  console.log(
    `usage: lattice-bench [--quick] [--out FILE] [--only ${SCENARIOS.map((s) => s.name).join(",")}] [--hosts N]\n` +
      `  --hosts N  idle hosts (and raw watchers) in scale.idle (default ${FULL_SIZES.idleHosts}, --quick ${QUICK_SIZES.idleHosts})`,
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

let idleHosts: number | undefined;
if (values.hosts !== undefined) {
  const text = values.hosts.trim();
  idleHosts = Number(text);
  if (!/^\d+$/.test(text) || idleHosts < 1 || idleHosts > 10_000) {
    usageError(
      `--hosts must be a whole number of idle hosts from 1 to 10000 (got ${JSON.stringify(values.hosts)})`,
    );
  }
}
const baseSizes = values.quick ? QUICK_SIZES : FULL_SIZES;
const sizes = idleHosts === undefined ? baseSizes : { ...baseSizes, idleHosts };

const started = Date.now();
const progress = (message: string) =>
  process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)}s] ${message}\n`);
const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? "cpu"}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
progress(`machine: ${machine}; ${values.quick ? "quick" : "full"} sizes, ${sizes.idleHosts} idle hosts`);
try {
  const results = await runBenchmarks({ sizes, only, progress });
  console.log(
    `\n${formatTable(results)}\n\nWhat each baseline does:\n${formatBaselines(results)}\n\nmachine: ${machine}; ${values.quick ? "--quick" : "full"} run, ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  writeFileSync(values.out, `${JSON.stringify(results, null, 2)}\n`);
  progress(`wrote ${values.out}`);
  process.exit(0);
} catch (error) {
  console.error("benchmark failed:", error);
  await disposeAll();
  process.exit(1);
}
