// Vitest global setup: the CLI tests spawn `node dist/bin/lattice.js`, so make sure dist is current first
// (rebuilt only when a source file is newer than the built entry point).
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { HOST_DIR, LATTICE_BIN } from "./lattice-process.test-helpers.js";

function newestSourceMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMtime(path));
    else if (entry.name.endsWith(".ts") && !/\.test(-helpers)?\.ts$/.test(entry.name)) {
      newest = Math.max(newest, statSync(path).mtimeMs);
    }
  }
  return newest;
}

/** Builds apps/host when dist is missing or older than src. */
export default function setup(): void {
  const built = existsSync(LATTICE_BIN) ? statSync(LATTICE_BIN).mtimeMs : 0;
  if (built >= newestSourceMtime(join(HOST_DIR, "src"))) return;
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", join(HOST_DIR, "tsconfig.json")], {
    cwd: HOST_DIR,
    stdio: "inherit",
  });
}
