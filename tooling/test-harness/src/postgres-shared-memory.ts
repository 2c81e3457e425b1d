// The System V shared memory a PostgreSQL cluster leaves behind when its postmaster is SIGKILLed: one small
// segment per cluster, registered in postmaster.pid, which a clean shutdown or a restart removes itself.
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { ProcessUser } from "./managed-process.js";
import { isAlive } from "./process-state.js";
import { waitFor } from "./wait-for.js";

const run = promisify(execFile);

/** The rows of `/proc/sysvipc/shm` (key shmid perms size cpid lpid nattch uid …), none without it. */
function sharedMemorySegments(): string[][] {
  try {
    return readFileSync("/proc/sysvipc/shm", "utf8")
      .split("\n")
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields.length >= 8);
  } catch {
    return [];
  }
}

/**
 * Removes the System V segments of clusters of the server user that were SIGKILLed and never disposed (at
 * process exit, by the orphan watchdog): owned by `user`, nothing attached, their postmaster gone (a zombie counts as gone). Only
 * for the harness's own system user, whose segments are all the harness's. Best effort.
 */
export async function removeOrphanedSegments(user: ProcessUser): Promise<void> {
  const orphaned = sharedMemorySegments()
    .filter(
      ([, , , , cpid, , nattch, uid]) => uid === String(user.uid) && nattch === "0" && !isAlive(Number(cpid)),
    )
    .map(([, shmid]) => shmid ?? "");
  if (orphaned.length > 0) {
    await run(
      "ipcrm",
      orphaned.flatMap((shmid) => ["-m", shmid]),
    ).catch(() => undefined);
  }
}

/** The `key shmid` of the System V segment a postmaster registered in `postmaster.pid` (line 7). */
function registeredSegment(dataDir: string): { key: string; shmid: string } | undefined {
  try {
    const [key, shmid] = (readFileSync(join(dataDir, "postmaster.pid"), "utf8").split("\n")[6] ?? "")
      .trim()
      .split(/\s+/);
    return key && shmid ? { key, shmid } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Removes the small System V segment of a postmaster that was killed and not restarted (a clean shutdown
 * and a restart remove it themselves), once the cluster's processes are gone. A backend still exiting may
 * hold it attached for a moment (its `/proc` entry no longer names the data dir): the segment is marked for
 * removal anyway — the kernel frees it at the last detach — and awaited for up to two seconds. Best effort.
 */
export async function removeStaleSegment(dataDir: string): Promise<void> {
  const segment = registeredSegment(dataDir);
  if (segment === undefined) {
    return;
  }
  const present = () => sharedMemorySegments().some(([, shmid]) => shmid === segment.shmid);
  if (!sharedMemorySegments().some(([key, shmid]) => key === segment.key && shmid === segment.shmid)) {
    return;
  }
  await run("ipcrm", ["-m", segment.shmid]).catch(() => undefined);
  await waitFor(() => !present(), { timeoutMs: 2000, intervalMs: 20, what: "the segment to go" }).catch(
    () => undefined,
  );
}
