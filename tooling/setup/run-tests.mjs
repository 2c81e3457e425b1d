#!/usr/bin/env node
// The whole suite: lint, typecheck, then every package's tests one package at a time (they start real
// servers; on a 2-core machine running packages side by side only makes them flaky), then one summary line.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(new URL(".", import.meta.url)), "..", "..");
const started = Date.now();
const packageDirs = ["packages", "apps", "tooling"].flatMap((group) => {
  const dir = join(root, group);
  return existsSync(dir) ? readdirSync(dir).map((name) => join(dir, name)) : [];
});
const withTests = packageDirs.filter((dir) => {
  const pj = join(dir, "package.json");
  return existsSync(pj) && JSON.parse(readFileSync(pj, "utf8")).scripts?.test;
});

function turbo(args) {
  const r = spawnSync("pnpm", ["exec", "turbo", "run", ...args], { stdio: "inherit", cwd: root, env: process.env });
  return r.status ?? 1;
}

for (const dir of withTests) rmSync(join(dir, ".test-results"), { recursive: true, force: true });
const checks = turbo(["lint", "typecheck", "--output-logs=errors-only"]);
const tests = turbo(["test", "--concurrency=1", "--continue"]);

let passed = 0;
let failed = 0;
let skipped = 0;
const rows = [];
for (const dir of withTests) {
  const name = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).name;
  const file = join(dir, ".test-results", "vitest.json");
  if (!existsSync(file)) {
    rows.push(`  ${name.padEnd(32)} no results (did its test run crash?)`);
    failed += 1;
    continue;
  }
  const r = JSON.parse(readFileSync(file, "utf8"));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + r.numTodoTests;
  rows.push(
    `  ${name.padEnd(32)} ${String(r.numPassedTests).padStart(4)} passed ${String(r.numFailedTests).padStart(3)} failed`,
  );
}
const minutes = ((Date.now() - started) / 60000).toFixed(1);
console.log(`\nlattice-cache test summary (${minutes} min; lint+typecheck ${checks === 0 ? "ok" : "FAILED"}):`);
for (const row of rows) console.log(row);
console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(checks !== 0 || tests !== 0 || failed > 0 ? 1 : 0);
