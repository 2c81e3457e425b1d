import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { trackPath, untrackPath } from "./cleanup-registry.js";

/**
 * Creates a fresh directory under `os.tmpdir()` named `lattice-<prefix>-XXXXXX` and registers it for
 * deletion at process exit.
 */
export async function makeTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `lattice-${prefix}-`));
  trackPath(dir);
  return dir;
}

/** Deletes a directory created by {@link makeTempDir} (recursively; missing is fine). */
export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  untrackPath(dir);
}
