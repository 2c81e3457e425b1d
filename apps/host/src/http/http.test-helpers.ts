// In-process StatusServers on the memory backend for the HTTP tests, and requests written byte by byte (a spoofed
// or missing Host header, an absolute-form target: what fetch() will not send).
import { connect } from "node:net";
import { LatticeCache, MemoryBackend, MemoryStore } from "@lattice-cache/core";
import { createHostContainer } from "../composition/host-container.js";
import { METRICS, resolveToken } from "../composition/tokens.js";
import { loadConfig } from "../config/load-config.js";
import { createHostLogger } from "../observability/host-logger.js";
import { StatusServer } from "./status-server.js";

/** A started server serving a ready memory cache. */
export interface Serving {
  readonly server: StatusServer;
  readonly cache: LatticeCache;
  /** The bound port. */
  readonly port: number;
  /** `http://127.0.0.1:<port>`. */
  readonly base: string;
  /** Stops the server, then closes the cache. */
  stop(): Promise<void>;
}

/**
 * A StatusServer configured by `env` (LATTICE_HTTP_*) on the memory backend with lattice prefix `prefix`,
 * started on a free port and serving a ready cache (whose metrics /metrics reports).
 */
export async function startServing(prefix: string, env: Record<string, string> = {}): Promise<Serving> {
  const hostId = `${prefix}-host`;
  const config = loadConfig({
    flags: { backend: "memory", httpPort: "0", prefix, hostId },
    env,
    backends: ["memory"],
  });
  const container = createHostContainer(config, { logger: createHostLogger("silent") });
  const server = container.resolve(StatusServer);
  const { port } = await server.start();
  const cache = await LatticeCache.open({ backend: new MemoryBackend(new MemoryStore()), hostId });
  resolveToken(container, METRICS).observe(cache);
  server.attach(cache);
  await cache.ready(5000);
  return {
    server,
    cache,
    port,
    base: `http://127.0.0.1:${port}`,
    async stop() {
      await server.stop();
      await cache.close();
    },
  };
}

/** An answer read off the wire. */
export interface RawAnswer {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  /** The body; empty for an event stream (only its head is read). */
  readonly body: string;
}

/**
 * Sends `request` (the request line and headers exactly as given, CRLF-separated, without the blank line that
 * ends them) to `127.0.0.1:port` and reads the answer: head and body, or only the head of an event stream.
 */
export function rawRequest(port: number, request: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    let received = Buffer.alloc(0);
    let head: { status: number; headers: Record<string, string>; bodyStart: number } | undefined;
    const finish = () => {
      socket.destroy();
      if (!head) return reject(new Error(`no HTTP answer: ${JSON.stringify(received.toString("latin1"))}`));
      const raw = received.subarray(head.bodyStart);
      const body = head.headers["transfer-encoding"] === "chunked" ? dechunk(raw) : raw.toString("utf8");
      resolve({
        status: head.status,
        headers: head.headers,
        body: head.headers["content-type"]?.includes("text/event-stream") ? "" : body,
      });
    };
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (!head) {
        const end = received.indexOf("\r\n\r\n");
        if (end < 0) return;
        const [statusLine = "", ...lines] = received.subarray(0, end).toString("latin1").split("\r\n");
        const headers: Record<string, string> = {};
        for (const line of lines) {
          const colon = line.indexOf(":");
          headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        head = { status: Number(statusLine.split(" ")[1]), headers, bodyStart: end + 4 };
        if (headers["content-type"]?.includes("text/event-stream")) return finish();
      }
      const length = Number(head.headers["content-length"] ?? Number.NaN);
      if (received.length - head.bodyStart >= length) finish();
    });
    socket.on("end", finish);
    socket.on("error", reject);
    socket.write(`${request}\r\n\r\n`);
  });
}

/** The body of a chunked transfer (`<hex size>\r\n<bytes>\r\n` … `0\r\n\r\n`). */
function dechunk(raw: Buffer): string {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = raw.indexOf("\r\n", at);
    const size = lineEnd < 0 ? 0 : Number.parseInt(raw.subarray(at, lineEnd).toString("latin1"), 16);
    if (!(size > 0)) return Buffer.concat(parts).toString("utf8");
    parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

/** A GET of `path` over HTTP/1.1 with the Host header `host` (and `Connection: close`). */
export function getWithHost(
  port: number,
  path: string,
  host: string,
  extra: string[] = [],
): Promise<RawAnswer> {
  return rawRequest(
    port,
    [`GET ${path} HTTP/1.1`, `Host: ${host}`, "Connection: close", ...extra].join("\r\n"),
  );
}
