#!/usr/bin/env node
// The whole suite: lint, typecheck, then every package's tests one package at a time (they start real
// servers; on a 2-core machine running packages side by side only makes them flaky), then the suites of
// NODE24_SUITES once more on Node 24 (tooling/setup/node24.mjs; the bootstrap installs it), then one summary
// line, `Tests: N passed, N failed, N skipped`, which CI parses.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { delimiter, dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { NODE24_SUITES, node24Path, node24Version } from "./node24.mjs";

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
  const r = spawnSync("pnpm", ["exec", "turbo", "run", ...args], {
    stdio: "inherit",
    cwd: root,
    env: process.env,
  });
  return r.status ?? 1;
}

for (const dir of withTests) rmSync(join(dir, ".test-results"), { recursive: true, force: true });
const checks = turbo(["lint", "typecheck", "--output-logs=errors-only"]);
const tests = turbo(["test", "--concurrency=1", "--continue"]);

const nameOf = (dir) => JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).name;

// The same suites on Node 24: vitest itself runs on it (so do its forked workers, which use its binary), and
// its directory leads PATH, so whatever a test spawns as plain `node` is 24 too. Its own report file, beside
// the Node 20 one (which turbo may have restored from its cache), never over it.
const node24 = node24Path();
const node24Ok = node24Version(node24);
const vitest = join(root, "node_modules", "vitest", "vitest.mjs");
let node24Status = 0;
/** Package dir → its Node 24 result: the report `file`, or why there is none (`missing`). */
const node24Results = new Map();
for (const suite of NODE24_SUITES) {
  const dir = join(root, suite);
  const label = `${nameOf(dir)} (node 24)`;
  const output = join(".test-results", "node-24", "vitest.json");
  rmSync(join(dir, ".test-results", "node-24"), { recursive: true, force: true });
  if (!node24Ok) {
    node24Results.set(dir, {
      label,
      missing: `no Node 24 at ${relative(root, node24)}: npm test installs it (tooling/setup/node24.mjs)`,
    });
    continue;
  }
  console.log(`\n[run-tests] ${label}: ${node24Ok}, vitest run`);
  const r = spawnSync(node24, [vitest, "run", `--outputFile.json=${output}`], {
    stdio: "inherit",
    cwd: dir,
    env: { ...process.env, PATH: [dirname(node24), process.env.PATH].join(delimiter) },
  });
  if ((r.status ?? 1) !== 0) node24Status = r.status ?? 1;
  node24Results.set(dir, { label, file: join(dir, output) });
}

/** Every suite's results in summary order, each package's Node 24 run right after its own. */
const results = withTests.flatMap((dir) => [
  { label: nameOf(dir), file: join(dir, ".test-results", "vitest.json") },
  ...(node24Results.has(dir) ? [node24Results.get(dir)] : []),
]);
for (const [dir, result] of node24Results) if (!withTests.includes(dir)) results.push(result);

let passed = 0;
let failed = 0;
let skipped = 0;
const rows = [];
for (const { label: name, file, missing } of results) {
  if (missing || !existsSync(file)) {
    rows.push(`  ${name.padEnd(40)} ${missing ?? "no results (did its test run crash?)"}`);
    failed += 1;
    continue;
  }
  const r = JSON.parse(readFileSync(file, "utf8"));
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + r.numTodoTests;
  rows.push(
    `  ${name.padEnd(40)} ${String(r.numPassedTests).padStart(4)} passed ${String(r.numFailedTests).padStart(3)} failed`,
  );
}
const minutes = ((Date.now() - started) / 60000).toFixed(1);
console.log(
  `\nlattice-cache test summary (${minutes} min; lint+typecheck ${checks === 0 ? "ok" : "FAILED"}):`,
);
for (const row of rows) console.log(row);
console.log(`Tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(checks !== 0 || tests !== 0 || node24Status !== 0 || failed > 0 ? 1 : 0);
