import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { trackPath } from "./cleanup-registry.js";

/** The only interface the harness ever binds to. */
export const LOOPBACK = "127.0.0.1";

/** Well-known ports the harness must never hand out. */
const RESERVED_PORTS: ReadonlySet<number> = new Set([4222, 6222, 7422, 8222, 6379, 16379]);

/** Lowest port of the range the harness picks from when it can stay below the kernel's ephemeral range. */
const RANGE_START = 15_000;
/** Minimum size of that range; below this, the kernel's own choice (port 0) is used instead. */
const MIN_RANGE = 2_000;
const ATTEMPTS = 200;

/** Ports handed out by this process; never handed out twice. */
const issued = new Set<number>();

/** Directory of cross-process port reservations: one file per port, holding the owner's pid. */
const reservationDir = join(tmpdir(), "lattice-test-harness-ports");

/**
 * The range to pick ports from: below the kernel's ephemeral range, so ports of stopped servers are not
 * taken by the kernel for some client connection or `listen(0)` before the server restarts on them.
 */
function pickRange(): { low: number; high: number } | undefined {
  let ephemeralLow = 32_768;
  try {
    const [low] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/);
    ephemeralLow = Number(low) || ephemeralLow;
  } catch {
    // not Linux: assume the usual range
  }
  const high = ephemeralLow - 1;
  return high - RANGE_START >= MIN_RANGE ? { low: RANGE_START, high } : undefined;
}

function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Reserves `port` for this process across all processes using the harness (parallel test workers and
 * packages), so that a port stays ours between a server's kill and its restart. Stale reservations of
 * dead processes are taken over.
 */
function reserve(port: number): boolean {
  const path = join(reservationDir, String(port));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: "wx" });
      trackPath(path);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
        return true; // reservations unavailable (read-only tmp?): fall back to the bind test alone
      }
    }
    let owner = Number.NaN;
    try {
      owner = Number(readFileSync(path, "utf8"));
    } catch {
      // removed in between: try again
    }
    if (Number.isInteger(owner) && owner > 0 && isPidAlive(owner)) {
      return false;
    }
    try {
      unlinkSync(path);
    } catch {
      // someone else cleaned it up
    }
  }
  return false;
}

function tryBind(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => resolve(undefined));
    server.listen({ host: LOOPBACK, port, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === "object" && address !== null ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

/**
 * Finds a TCP port that is currently free on 127.0.0.1 and reserves it for this process.
 *
 * Ports are picked at random below the kernel's ephemeral port range (falling back to binding port 0 when
 * that range is too small), verified by binding and closing a socket, and recorded in a per-port
 * reservation file under `os.tmpdir()` so that concurrent test processes never receive the same port.
 * Consecutive calls return distinct ports; the default NATS and Redis ports are never returned.
 */
export async function freePort(): Promise<number> {
  try {
    mkdirSync(reservationDir, { recursive: true });
  } catch {
    // reservations are best effort
  }
  const range = pickRange();
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const candidate =
      range !== undefined ? range.low + Math.floor(Math.random() * (range.high - range.low + 1)) : 0;
    if (issued.has(candidate) || RESERVED_PORTS.has(candidate)) {
      continue;
    }
    if (candidate !== 0 && !reserve(candidate)) {
      continue;
    }
    const port = await tryBind(candidate);
    if (port === undefined || port === 0 || issued.has(port) || RESERVED_PORTS.has(port)) {
      continue; // in use; the reservation (if any) is harmless and released at exit
    }
    if (candidate === 0 && !reserve(port)) {
      continue;
    }
    issued.add(port);
    return port;
  }
  throw new Error(`could not find a free port on 127.0.0.1 after ${ATTEMPTS} attempts`);
}
