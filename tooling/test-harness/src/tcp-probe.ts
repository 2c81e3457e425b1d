import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { connect } from "node:net";
import { LOOPBACK } from "./free-port.js";

/**
 * Connects to `host:port` and resolves the first line the server sends (without the line break), or
 * undefined if the connection fails or no full line arrives within `timeoutMs`.
 */
export function readFirstLine(
  port: number,
  host: string = LOOPBACK,
  timeoutMs = 2_000,
): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let text = "";
    const finish = (line: string | undefined): void => {
      socket.destroy();
      resolve(line);
    };
    socket.setEncoding("utf8");
    socket.setTimeout(timeoutMs, () => finish(undefined));
    socket.on("data", (chunk: string) => {
      text += chunk;
      const end = text.indexOf("\n");
      if (end >= 0) {
        finish(text.slice(0, end).replace(/\r$/, ""));
      }
    });
    socket.once("error", () => finish(undefined));
    socket.once("close", () => finish(undefined));
  });
}

/** The inodes of the TCP sockets listening on `port` (any address), or undefined without `/proc/net/tcp`. */
function listeningInodes(port: number): Set<string> | undefined {
  const portHex = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  const inodes = new Set<string>();
  let readable = false;
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    readable = true;
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode …; st 0A = LISTEN
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields[1]?.endsWith(portHex) && fields[3] === "0A" && fields[9] !== undefined) {
        inodes.add(fields[9]);
      }
    }
  }
  return readable ? inodes : undefined;
}

/**
 * Whether the process `pid` itself holds a TCP socket listening on `port`: proof that a port answers
 * because of this very process, not of another one that took the port first. Undefined where `/proc` does
 * not tell (not Linux).
 */
export function listensOn(pid: number, port: number): boolean | undefined {
  const inodes = listeningInodes(port);
  if (inodes === undefined) {
    return undefined;
  }
  if (inodes.size === 0) {
    return false;
  }
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false; // gone, or not ours to inspect
  }
  return fds.some((fd) => {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      return target.startsWith("socket:[") && inodes.has(target.slice(8, -1));
    } catch {
      return false;
    }
  });
}
