// Issue 27 (the /events bounds): a client that does not read is dropped once too much waits for it, so what the
// host queues for it stays bounded, and concurrent streams are capped. Real sockets throughout: a raw client
// that stops reading (its kernel buffers fill, then the host's queue grows) against a host's StatusServer, and
// against a bare ChangeStream with its own limits for what happens to the dropped connection.
import { createServer, type Server } from "node:http";
import { connect, type Socket } from "node:net";
import { setImmediate as yieldToIo } from "node:timers/promises";
import { waitFor } from "@lattice-cache/test-harness";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { METRIC_NAMES } from "../observability/host-metrics.js";
import { ChangeStream, EVENT_STREAM_LIMITS } from "./change-stream.js";
import { rawRequest, type Serving, startServing } from "./http.test-helpers.js";

/** Enough to fill a loopback connection's kernel buffers several times over. */
const MOST_FRAMES = 400;

/** Opens `GET /events` on a raw socket; `read: false` stops reading before the answer arrives. */
function openStream(port: number, read: boolean): Promise<{ socket: Socket; received: () => string }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port });
    let text = "";
    const received = () => text;
    if (!read) {
      socket.pause();
      socket.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
      socket.once("connect", () => resolve({ socket, received }));
    } else {
      socket.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
      const onData = (chunk: Buffer) => {
        text += chunk.toString("utf8");
        if (text.includes("\r\n\r\n")) {
          socket.off("data", onData);
          socket.on("data", (more: Buffer) => {
            text += more.toString("utf8");
          });
          if (text.startsWith("HTTP/1.1 200")) resolve({ socket, received });
          else reject(new Error(`expected 200 from /events, got ${JSON.stringify(text.split("\r\n")[0])}`));
        }
      };
      socket.on("data", onData);
    }
    socket.on("error", reject);
  });
}

/** Resumes a paused socket and collects what it reads until the host ends the connection. */
function readToEnd(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = "";
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("utf8");
    });
    socket.once("close", () => resolve(text));
    socket.resume();
  });
}

describe("a host's /events", () => {
  let s: Serving;

  beforeAll(async () => {
    s = await startServing("event-bounds");
  });

  afterAll(async () => {
    await s.stop();
  });

  async function metric(name: string): Promise<number> {
    const text = await (await fetch(`${s.base}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith(`${name} `));
    if (line === undefined) throw new Error(`/metrics has no ${name}`);
    return Number(line.split(" ")[1]);
  }

  it(
    "issue 27 /events: a client that never reads is dropped once more than 4 MiB wait for it; until then the " +
      "host queues at most that (plus one event), and nothing after the drop is queued for it",
    async () => {
      const blob = "x".repeat(512 * 1024);
      const frameBound = EVENT_STREAM_LIMITS.maxQueuedBytes + blob.length + 64 * 1024;
      const slow = await openStream(s.port, false);
      await waitFor(async () => (await metric(METRIC_NAMES.eventStreams)) === 1, {
        what: "the host to count the slow client's stream",
      });
      let mostQueued = 0;
      let droppedAt: number | undefined;
      for (let i = 0; i < MOST_FRAMES && droppedAt === undefined; i++) {
        await s.cache.linkdefs.put({
          actor_id: "Mslow",
          provider_id: "Vslow",
          contract_id: "wasmcloud:slow",
          values: { i: String(i), blob },
        });
        await yieldToIo();
        mostQueued = Math.max(mostQueued, await metric(METRIC_NAMES.eventStreamQueuedBytes));
        expect(mostQueued, `queued for the slow client after change ${i}`).toBeLessThanOrEqual(frameBound);
        if ((await metric(METRIC_NAMES.eventStreamsDropped)) === 1) droppedAt = i;
      }
      expect(droppedAt, "the slow client was dropped").toBeDefined();
      expect(mostQueued).toBeGreaterThan(0);
      expect(await metric(METRIC_NAMES.eventStreams)).toBe(0);

      // Changes after the drop are not queued for it: what it finally reads ends before them.
      const after = (droppedAt as number) + 1;
      for (let i = after; i < after + 10; i++) {
        await s.cache.linkdefs.put({
          actor_id: "Mslow",
          provider_id: "Vslow",
          contract_id: "wasmcloud:slow",
          values: { i: String(i), blob },
        });
      }
      const text = await readToEnd(slow.socket);
      const seen = [...text.matchAll(/"i":"(\d+)"/g)].map((m) => Number(m[1]));
      expect(seen.length).toBeGreaterThan(0);
      expect(Math.max(...seen)).toBeLessThan(after);
      await waitFor(async () => (await metric(METRIC_NAMES.eventStreamQueuedBytes)) === 0, {
        what: "nothing queued once the dropped client is gone",
      });
    },
  );

  it("issue 27 /events: refuses the stream past the cap with 503 and Retry-After, and takes one again when a stream closes", async () => {
    const max = EVENT_STREAM_LIMITS.maxClients;
    const open: Socket[] = [];
    try {
      for (let i = 0; i < max; i++) open.push((await openStream(s.port, true)).socket);
      expect(await metric(METRIC_NAMES.eventStreams)).toBe(max);
      const refused = await rawRequest(
        s.port,
        `GET /events HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\nConnection: close`,
      );
      expect(refused.status).toBe(503);
      expect(refused.headers["retry-after"]).toBe("10");
      expect(JSON.parse(refused.body).error).toContain(`${max} event streams`);
      expect(await metric(METRIC_NAMES.eventStreamsRefused)).toBe(1);
      // /status and the rest still answer at the cap.
      expect((await fetch(`${s.base}/status`)).status).toBe(200);

      (open.pop() as Socket).destroy();
      await waitFor(async () => (await metric(METRIC_NAMES.eventStreams)) === max - 1, {
        what: "the closed stream to be let go",
      });
      open.push((await openStream(s.port, true)).socket);
      expect(await metric(METRIC_NAMES.eventStreams)).toBe(max);
    } finally {
      for (const socket of open) socket.destroy();
    }
  });
});

describe("ChangeStream", () => {
  let server: Server | undefined;

  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  /** A bare HTTP server whose every request becomes one of `stream`'s clients. */
  async function serve(stream: ChangeStream): Promise<number> {
    server?.closeAllConnections();
    server?.close();
    const s = createServer((_, res) => {
      stream.add(res);
    });
    server = s;
    await new Promise<void>((resolve) => s.listen({ host: "127.0.0.1", port: 0 }, resolve));
    return (s.address() as { port: number }).port;
  }

  /** Sends changes until `stream` drops a client; the number sent. */
  async function overflow(stream: ChangeStream): Promise<number> {
    const blob = "y".repeat(256 * 1024);
    for (let i = 0; i < MOST_FRAMES; i++) {
      stream.send("change", { i, blob });
      await yieldToIo();
      if (stream.dropped === 1) return i + 1;
    }
    throw new Error(`no client dropped after ${MOST_FRAMES} frames`);
  }

  it("issue 27 /events: a dropped client that reads again gets a last `closing` event, then the connection ends", async () => {
    const stream = new ChangeStream({
      ...EVENT_STREAM_LIMITS,
      maxQueuedBytes: 1024 * 1024,
      closeGraceMs: 600_000,
    });
    try {
      const port = await serve(stream);
      const client = await openStream(port, false);
      await waitFor(() => stream.size === 1, { what: "the client's stream" });
      await overflow(stream);
      expect(stream.size).toBe(0);
      const text = await readToEnd(client.socket);
      const events = [...text.matchAll(/event: (\w+)/g)].map((m) => m[1]);
      expect(events.at(-1)).toBe("closing");
      expect(text).toContain("more than 1048576 bytes of events were waiting");
      await waitFor(() => stream.queuedBytes === 0, { what: "nothing queued for the ended client" });
    } finally {
      stream.close();
    }
  });

  it("issue 27 /events: a dropped client that never reads is cut off after the grace: nothing stays queued for it", async () => {
    const stream = new ChangeStream({
      ...EVENT_STREAM_LIMITS,
      maxQueuedBytes: 1024 * 1024,
      closeGraceMs: 100,
    });
    try {
      const port = await serve(stream);
      const client = await openStream(port, false);
      await waitFor(() => stream.size === 1, { what: "the client's stream" });
      await overflow(stream);
      await waitFor(() => stream.queuedBytes === 0, { what: "the dropped client's queue to be let go" });
      client.socket.destroy();
    } finally {
      stream.close();
    }
  });
});
