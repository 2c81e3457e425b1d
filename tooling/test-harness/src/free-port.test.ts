import { readFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { freePort } from "./free-port.js";

function listenOn(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port }, () => server.close(() => resolve()));
  });
}

describe("freePort", () => {
  it("returns distinct ports that are not the default NATS/Redis ports", async () => {
    const ports: number[] = [];
    for (let i = 0; i < 20; i++) {
      ports.push(await freePort());
    }
    expect(new Set(ports).size).toBe(ports.length);
    for (const port of ports) {
      expect(port).toBeGreaterThan(1024);
      expect([4222, 6222, 8222, 6379]).not.toContain(port);
    }
  });

  it("reserves each port for this process so that parallel test processes never share one", async () => {
    const port = await freePort();
    const owner = await readFile(join(tmpdir(), "lattice-test-harness-ports", String(port)), "utf8");
    expect(Number(owner)).toBe(process.pid);
  });

  it("returns a port that can be bound on 127.0.0.1", async () => {
    const port = await freePort();
    await expect(listenOn(port)).resolves.toBeUndefined();
  });
});
