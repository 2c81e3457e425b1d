import { type ChildProcess, spawn } from "node:child_process";

/**
 * Source of the watchdog process. It reads `+pid PID NAME`, `-pid PID`, `+dir PATH` and `-dir PATH`
 * lines from stdin. When stdin closes (the parent died, however it died, SIGKILL included) it kills every
 * pid still listed whose command line still mentions NAME and deletes every listed directory.
 */
const WATCHDOG_SOURCE = `
const fs = require("node:fs");
const pids = new Map();
const dirs = new Set();
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => {});
let buffer = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => {
  buffer += chunk;
  let newline;
  while ((newline = buffer.indexOf("\\n")) >= 0) {
    const line = buffer.slice(0, newline);
    buffer = buffer.slice(newline + 1);
    const [op, ...rest] = line.split(" ");
    if (op === "+pid") pids.set(Number(rest[0]), rest.slice(1).join(" "));
    else if (op === "-pid") pids.delete(Number(rest[0]));
    else if (op === "+dir") dirs.add(rest.join(" "));
    else if (op === "-dir") dirs.delete(rest.join(" "));
  }
});
function stillOurs(pid, name) {
  if (!fs.existsSync("/proc/self")) return true;
  try { return fs.readFileSync("/proc/" + pid + "/cmdline", "utf8").includes(name); } catch { return false; }
}
let done = false;
function cleanup() {
  if (done) return;
  done = true;
  for (const [pid, name] of pids) { try { if (stillOurs(pid, name)) process.kill(pid, "SIGKILL"); } catch {} }
  for (const dir of dirs) { try { fs.rmSync(dir, { recursive: true, force: true }); } catch {} }
  process.exit(0);
}
process.stdin.on("end", cleanup);
process.stdin.on("close", cleanup);
process.stdin.on("error", cleanup);
`;

/**
 * A detached helper process that outlives a hard-killed test process just long enough to kill the server
 * processes and delete the temp directories it was told about. Best effort: if the helper cannot be
 * started, the in-process exit handlers are the only safety net.
 */
export class OrphanWatchdog {
  #child: ChildProcess | undefined;
  #failed = false;

  #send(line: string): void {
    if (this.#failed) {
      return;
    }
    if (this.#child === undefined) {
      try {
        const child = spawn(process.execPath, ["-e", WATCHDOG_SOURCE], {
          stdio: ["pipe", "ignore", "ignore"],
          detached: true,
        });
        child.on("error", () => {
          this.#failed = true;
        });
        child.stdin?.on("error", () => {
          this.#failed = true;
        });
        child.unref();
        const stdin = child.stdin as unknown as { unref?: () => void } | null;
        stdin?.unref?.();
        this.#child = child;
      } catch {
        this.#failed = true;
        return;
      }
    }
    this.#child.stdin?.write(`${line}\n`);
  }

  /** Asks the watchdog to SIGKILL `pid` if this process dies while `pid` still runs `name`. */
  watchPid(pid: number, name: string): void {
    this.#send(`+pid ${pid} ${name}`);
  }

  /** Tells the watchdog that `pid` has exited. */
  forgetPid(pid: number): void {
    this.#send(`-pid ${pid}`);
  }

  /** Asks the watchdog to delete `dir` if this process dies. */
  watchDir(dir: string): void {
    this.#send(`+dir ${dir}`);
  }

  /** Tells the watchdog that `dir` has been removed. */
  forgetDir(dir: string): void {
    this.#send(`-dir ${dir}`);
  }
}
