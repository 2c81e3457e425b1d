#!/usr/bin/env node
// Makes a fresh clone runnable with nothing but Node >= 20: pinned pnpm, locked dependencies, a build, and
// the nats-server / redis-server binaries (from apt when missing); for the test suite also PostgreSQL,
// Chromium and Node 24 (tooling/setup/node24.mjs). Fast when everything is already there.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { delimiter, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureNode24 } from "./node24.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const PNPM_VERSION = manifest.packageManager.split("@")[1];
const toolDir = join(root, ".tooling");
const toolBin = join(toolDir, "node_modules", ".bin");
const path = [toolBin, join(root, "node_modules", ".bin"), "/usr/sbin", "/usr/local/sbin", process.env.PATH];
const env = { ...process.env, PATH: path.join(delimiter) };

const step = (msg) => process.stderr.write(`\u001b[36m[bootstrap]\u001b[0m ${msg}\n`);
function fail(msg) {
  process.stderr.write(`\u001b[31m[bootstrap] ${msg}\u001b[0m\n`);
  process.exit(1);
}
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: "inherit", env, cwd: root, ...opts });
  if (r.error) fail(`${cmd} ${args.join(" ")}: ${r.error.message}`);
  return r.status ?? 1;
}
function which(bin) {
  for (const dir of env.PATH.split(delimiter)) if (dir && existsSync(join(dir, bin))) return join(dir, bin);
  return undefined;
}
function versionOf(bin) {
  try {
    return execFileSync(bin, ["--version"], {
      env,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
  } catch {
    return undefined;
  }
}

function ensurePnpm() {
  const found = which("pnpm");
  if (found && versionOf(found) === PNPM_VERSION) return found;
  const local = join(toolBin, "pnpm");
  if (existsSync(local) && versionOf(local) === PNPM_VERSION) return local;
  // Globally first, so the `pnpm lattice …` commands that `lattice up` prints work in any shell; where
  // the global prefix is not writable (no root), into .tooling/ with a hint.
  if (!found) {
    step(`installing pnpm ${PNPM_VERSION} (npm install -g)`);
    run("npm", ["install", "-g", "--no-audit", "--no-fund", "--loglevel=error", `pnpm@${PNPM_VERSION}`]);
    const global = which("pnpm");
    if (global && versionOf(global) === PNPM_VERSION) return global;
  }
  step(`installing pnpm ${PNPM_VERSION} into .tooling/ (put ${toolBin} on your PATH to use it directly)`);
  mkdirSync(toolDir, { recursive: true });
  if (!existsSync(join(toolDir, "package.json")))
    writeFileSync(join(toolDir, "package.json"), '{"private":true}\n');
  const code = run("npm", [
    "install",
    "--prefix",
    toolDir,
    "--no-audit",
    "--no-fund",
    "--loglevel=error",
    `pnpm@${PNPM_VERSION}`,
  ]);
  if (code !== 0 || versionOf(local) !== PNPM_VERSION)
    fail(`could not install pnpm ${PNPM_VERSION} with npm`);
  return local;
}

/** Binaries the project runs, and the Debian package that brings each. */
const APT_PACKAGES = {
  "nats-server": "nats-server",
  "redis-server": "redis-server",
  postgres: "postgresql",
  chromium: "chromium",
};
/** Binaries their package keeps off PATH, and where the test harness looks for them. */
const OFF_PATH = {
  // Debian: one directory per major version, /usr/lib/postgresql/<major>/bin/postgres.
  postgres: () => {
    const dir = "/usr/lib/postgresql";
    return (
      existsSync(dir) && readdirSync(dir).some((major) => existsSync(join(dir, major, "bin", "postgres")))
    );
  },
};
const installed = (name) => (OFF_PATH[name] ? OFF_PATH[name]() : Boolean(which(name)));

function ensureServers(names) {
  const missing = names.filter((n) => !installed(n));
  if (missing.length === 0) return;
  const packages = missing.map((n) => APT_PACKAGES[n] ?? n);
  const sudo = process.getuid?.() === 0 ? [] : which("sudo") ? ["sudo", "-n"] : null;
  if (!which("apt-get") || sudo === null) {
    fail(
      `missing ${missing.join(", ")}: install them (Debian/Ubuntu: apt-get install ${packages.join(" ")}) and retry`,
    );
  }
  const aptEnv = { ...env, DEBIAN_FRONTEND: "noninteractive" };
  step(`installing ${packages.join(", ")} from apt`);
  const [cmd, ...pre] = sudo.length ? sudo : ["apt-get"];
  const aptArgs = (args) => (sudo.length ? [...pre, "apt-get", ...args] : args);
  if (run(cmd, aptArgs(["update", "-qq"]), { env: aptEnv }) !== 0) fail("apt-get update failed");
  if (
    run(cmd, aptArgs(["install", "-y", "-qq", "--no-install-recommends", ...packages]), { env: aptEnv }) !== 0
  ) {
    fail(`apt-get install ${packages.join(" ")} failed`);
  }
  const still = names.filter((n) => !installed(n));
  if (still.length) fail(`still missing after apt-get: ${still.join(", ")}`);
}

function dependencyStamp() {
  const h = createHash("sha256");
  h.update(readFileSync(join(root, "pnpm-lock.yaml")));
  h.update(PNPM_VERSION);
  for (const group of ["packages", "apps", "tooling"]) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const pj = join(dir, name, "package.json");
      if (existsSync(pj)) h.update(readFileSync(pj));
    }
  }
  return h.digest("hex");
}

function ensureDependencies(pnpm) {
  const stampFile = join(root, "node_modules", ".lattice-bootstrap-stamp");
  const stamp = dependencyStamp();
  if (existsSync(stampFile) && readFileSync(stampFile, "utf8") === stamp) return;
  step("installing locked dependencies (pnpm install --frozen-lockfile)");
  if (run(pnpm, ["install", "--frozen-lockfile", "--reporter=append-only"]) !== 0)
    fail("pnpm install failed");
  writeFileSync(stampFile, stamp);
}

const [mode, script, ...rest] = process.argv.slice(2);
if (mode !== "run" || !script) fail("usage: bootstrap.mjs run <script> [args...]");
const [major] = process.versions.node.split(".").map(Number);
if (major < 20) fail(`Node.js >= 20 is required (found ${process.versions.node})`);

const pnpm = ensurePnpm();
// The postgres backend's tests need PostgreSQL, the status page's browser test Chromium; `lattice up` needs
// only nats-server.
ensureServers(
  script === "lattice:up" ? ["nats-server"] : ["nats-server", "redis-server", "postgres", "chromium"],
);
ensureDependencies(pnpm);
// The suite also runs core, conformance and jetstream on Node 24 (tooling/setup/run-tests.mjs).
if (script === "test:all") {
  try {
    ensureNode24({ log: step, env });
  } catch (error) {
    fail(error.message);
  }
}
step("building (turbo, cached)");
if (run(pnpm, ["exec", "turbo", "run", "build", "--output-logs=errors-only"]) !== 0) fail("build failed");
// The command runs in its own process group and every stop signal this process gets is passed to that
// whole group: `pnpm run` starts the command through a shell that would not pass a SIGTERM on, and the
// long-running `lattice up` must stop cleanly (and stop the nats-server it started) however it is stopped —
// Ctrl-C, a supervisor's SIGTERM, `timeout`.
const command = manifest.scripts?.[script];
if (!command) fail(`package.json has no script ${script}`);
// The script itself, not `pnpm run`: nothing between the signal and the command that could swallow it or
// report a clean Ctrl-C as a failure. PATH already has pnpm and node_modules/.bin, as `pnpm run` would.
const child = spawn("sh", ["-c", `exec ${command} "$@"`, script, ...rest], {
  stdio: "inherit",
  env,
  cwd: root,
  detached: true,
});
// npm passes Ctrl-C on to us while the terminal also sends it to us: one press arrives twice. Pass each
// signal on once per second, so a single Ctrl-C is a clean stop and a second, later one still forces it.
const recentlyForwarded = new Set();
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(signal, () => {
    if (recentlyForwarded.has(signal)) return;
    recentlyForwarded.add(signal);
    setTimeout(() => recentlyForwarded.delete(signal), 1000).unref();
    try {
      process.kill(-child.pid, signal);
    } catch {
      // the group is already gone
    }
  });
}
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
