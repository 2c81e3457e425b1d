// Output through a pipe arrives whole: `lattice … | jq` on a big lattice must not lose what the reader had not
// read yet when the command finished (before: the CLI exited with everything past the pipe's 64 KiB lost).
import { spawn } from "node:child_process";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { cliAgainstNats } from "../test-support/cli-against-nats.test-helpers.js";
import { HOST_DIR, LATTICE_BIN } from "../test-support/lattice-process.test-helpers.js";

const cli = cliAgainstNats("piped-output");

/** Three thousand link definitions: about 1.5 MB of `ls --json`, far past a pipe's buffer. */
function bigApplyFile(): string {
  const linkdefs = Array.from({ length: 3000 }, (_, i) => ({
    actor_id: `M${"A".repeat(50)}${i}`,
    provider_id: `V${"B".repeat(50)}`,
    contract_id: "wasmcloud:keyvalue",
    link_name: "default",
    values: { url: "redis://cache.internal:6379/".repeat(10) },
  }));
  return JSON.stringify({ linkdefs });
}

describe("output through a pipe", () => {
  it("a reader that starts reading late still gets every byte of a big --json listing", async () => {
    const applied = await cli.lattice("piped", ["apply", "-f", cli.file("big.json", bigApplyFile())]);
    expect(applied.code, applied.stderr).toBe(0);

    const child = spawn(
      process.execPath,
      [LATTICE_BIN, "linkdefs", "ls", "--json", "--nats-url", cli.natsUrl(), "--prefix", "piped"],
      { cwd: HOST_DIR, env: cli.env, stdio: ["ignore", "pipe", "pipe"] },
    );
    const closed = once(child, "close");
    const exited = once(child, "exit");
    // Read nothing until the command has had time to finish (or to block on the full pipe, once fixed).
    await Promise.race([exited, sleep(3000)]);
    const chunks: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    child.stderr.resume();
    const [code] = (await closed) as [number | null];
    expect(code).toBe(0);
    const listed = JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown[];
    expect(listed).toHaveLength(3000);
  }, 120_000);
});
