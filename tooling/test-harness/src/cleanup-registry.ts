import { rmSync } from "node:fs";
import { OrphanWatchdog } from "./orphan-watchdog.js";

/** Anything the harness started that {@link disposeAll} must tear down. */
export interface TrackedResource {
  dispose(): Promise<void>;
}

const pids = new Map<number, string>();
const dirs = new Set<string>();
const resources = new Set<TrackedResource>();
const watchdog = new OrphanWatchdog();
let handlersInstalled = false;

/** Synchronously SIGKILLs every tracked process and deletes every tracked directory. */
function killEverythingNow(): void {
  for (const pid of pids.keys()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  pids.clear();
  for (const dir of dirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort on the way out
    }
  }
  dirs.clear();
}

function installExitHandlers(): void {
  if (handlersInstalled) {
    return;
  }
  handlersInstalled = true;
  process.on("exit", killEverythingNow);
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
    const onSignal = (): void => {
      killEverythingNow();
      // If nobody else handles the signal, restore the default behaviour (terminate) and re-raise it.
      if (process.listenerCount(signal) === 1) {
        process.removeListener(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

/** Records a child process so it is SIGKILLed when this process exits or is signalled. */
export function trackPid(pid: number, name: string): void {
  installExitHandlers();
  pids.set(pid, name);
  watchdog.watchPid(pid, name);
}

/** Stops tracking a child process that has exited. */
export function untrackPid(pid: number): void {
  if (pids.delete(pid)) {
    watchdog.forgetPid(pid);
  }
}

/** Records a temporary directory or file so it is deleted when this process exits or is signalled. */
export function trackPath(dir: string): void {
  installExitHandlers();
  dirs.add(dir);
  watchdog.watchDir(dir);
}

/** Stops tracking a temporary directory or file that has been removed. */
export function untrackPath(dir: string): void {
  if (dirs.delete(dir)) {
    watchdog.forgetDir(dir);
  }
}

/** Records a handle that {@link disposeAll} must dispose. */
export function trackResource(resource: TrackedResource): void {
  installExitHandlers();
  resources.add(resource);
}

/** Stops tracking a handle, typically because it has been disposed. */
export function untrackResource(resource: TrackedResource): void {
  resources.delete(resource);
}

/**
 * Disposes every server, cluster, fault proxy and credentials fixture started by this process that has not
 * been disposed yet (processes are stopped, temp dirs removed). Meant for `afterAll` hooks. Rejects with an
 * `AggregateError` if some disposals failed, after attempting all of them.
 */
export async function disposeAll(): Promise<void> {
  const pending = [...resources];
  resources.clear();
  const results = await Promise.allSettled(pending.map((resource) => resource.dispose()));
  const failures = results.filter((result) => result.status === "rejected");
  if (failures.length > 0) {
    throw new AggregateError(
      failures.map((failure) => failure.reason),
      `disposeAll: ${failures.length} of ${pending.length} disposals failed`,
    );
  }
}
