#!/usr/bin/env node
// Node 24, for the suites CI also runs on it (tooling/setup/run-tests.mjs; the workspace itself runs on the
// Node >= 20 that started it). The binary comes from the npm registry — package `node-<platform>-<arch>`, the
// official build repackaged — into .tooling/node24/, its own prefix with no bin links, so that nothing it
// installs lands on the PATH the bootstrap puts .tooling/node_modules/.bin on (a `node` there would run the
// whole workspace on 24). Under Node 24 itself, that one is used.
//
//   node tooling/setup/node24.mjs      installs it when missing, prints its path
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The Node major the extra runs use. */
export const NODE24_MAJOR = 24;
/** The workspace packages whose suites also run on Node 24 (paths from the repository root). */
export const NODE24_SUITES = ["packages/core", "packages/conformance", "packages/jetstream"];

const root = join(fileURLToPath(new URL(".", import.meta.url)), "..", "..");
const prefix = join(root, ".tooling", "node24");
const npmPackage = `node-${process.platform}-${process.arch}`;

/** Where the Node 24 binary is (or will be once installed). */
export function node24Path() {
  if (Number(process.versions.node.split(".")[0]) === NODE24_MAJOR) return process.execPath;
  return join(prefix, "node_modules", npmPackage, "bin", "node");
}

/** `v24.x.y` when `bin` is a Node 24 that runs, else undefined. */
export function node24Version(bin = node24Path()) {
  if (!existsSync(bin)) return undefined;
  try {
    const version = execFileSync(bin, ["--version"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    return version.startsWith(`v${NODE24_MAJOR}.`) ? version : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The path of a working Node 24, installing `node-<platform>-<arch>@24` with npm into .tooling/node24/ when
 * it is missing (about 30 MB to download, once). Throws when it cannot.
 */
export function ensureNode24({ log = (msg) => process.stderr.write(`${msg}\n`), env = process.env } = {}) {
  const bin = node24Path();
  if (node24Version(bin)) return bin;
  log(`installing Node ${NODE24_MAJOR} into .tooling/node24/ (npm install ${npmPackage}@${NODE24_MAJOR})`);
  mkdirSync(prefix, { recursive: true });
  writeFileSync(
    join(prefix, "package.json"),
    '{ "private": true, "description": "Node 24 for the CI runs: tooling/setup/node24.mjs" }\n',
  );
  const r = spawnSync(
    "npm",
    [
      "install",
      "--prefix",
      prefix,
      "--no-bin-links",
      "--ignore-scripts",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      `${npmPackage}@${NODE24_MAJOR}`,
    ],
    { stdio: "inherit", env, cwd: prefix },
  );
  if (r.error) throw new Error(`npm install ${npmPackage}@${NODE24_MAJOR}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`npm install ${npmPackage}@${NODE24_MAJOR} failed (exit ${r.status})`);
  if (!node24Version(bin)) throw new Error(`${bin} is not a working Node ${NODE24_MAJOR} after npm install`);
  return bin;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const bin = ensureNode24();
    console.log(`${bin} (${node24Version(bin)})`);
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}
