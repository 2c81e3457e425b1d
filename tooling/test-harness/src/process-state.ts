import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** Blocks the calling thread for `ms` milliseconds without burning CPU. */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** The scheduler state letter of one task from `/proc/.../stat` (e.g. R, S, T), or undefined. */
function taskState(statPath: string): string | undefined {
  try {
    const stat = readFileSync(statPath, "utf8");
    return stat.charAt(stat.lastIndexOf(")") + 2);
  } catch {
    return undefined;
  }
}

/** Whether `pid` is a live process (zombies count as dead, since nothing may reap them here). */
export function isAlive(pid: number): boolean {
  const state = taskState(`/proc/${pid}/stat`);
  if (state !== undefined) {
    return state !== "Z" && state !== "X";
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether every thread of `pid` is stopped (state T/t), or the process is gone. Returns undefined when
 * `/proc` is not available, so callers can tell "unknown" from "still running".
 */
export function isFullyStopped(pid: number): boolean | undefined {
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    try {
      readdirSync("/proc/self/task");
    } catch {
      return undefined; // no procfs
    }
    return true; // the process is gone
  }
  return tasks.every((task) => {
    const state = taskState(`/proc/${pid}/task/${task}/stat`);
    return state === undefined || state === "T" || state === "t" || state === "Z" || state === "X";
  });
}

/**
 * Waits (synchronously) until every thread of `pid` has stopped after a SIGSTOP.
 *
 * SIGSTOP is asynchronous for multi-threaded processes: the group stop only begins once one thread
 * dequeues the signal, and on a loaded machine the other threads (Go's, for nats-server) keep running for
 * hundreds of milliseconds meanwhile. Returns true once stopped, false after `timeoutMs` (or without /proc).
 */
export function waitUntilStopped(pid: number, timeoutMs = 5_000): boolean {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stopped = isFullyStopped(pid);
    if (stopped !== false) {
      return stopped === true;
    }
    if (Date.now() >= deadline) {
      return false;
    }
    sleepSync(1);
  }
}

/**
 * The pids of the processes whose working directory is `dir` (read from `/proc`; empty without it).
 * PostgreSQL's postmaster and every process it forks work in the data directory, so this finds the
 * backends a SIGKILLed postmaster left behind — whoever their parent is now.
 */
export function pidsWorkingIn(dir: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) === dir) {
        pids.push(Number(entry));
      }
    } catch {
      // gone, a zombie, or not ours to inspect
    }
  }
  return pids;
}
